import VPPJSON
import VPPSchema

/// A compiled layout node: what to read or write for one value.
///
/// Messages are compiled once (`PlanCompiler`) so that decoding does no name lookups, no
/// alias chasing and no string building for keys: the hot path is a walk over these nodes.
indirect enum Node: Sendable {
    case scalar(ScalarType)
    case plainEnum(EnumPlan)
    case flagSet(EnumPlan)
    case fixedString(Int)
    case variableString(limit: Int?)
    case fixedBytes(Int)
    /// u8 VLA: the byte count is in the struct's length slot.
    case variableBytes(slot: Int)
    case ip4Address
    case ip6Address
    case macAddress
    /// `address`: u8 af + 16-byte union.
    case address
    /// `prefix` (address + u8 len), or `ip4_prefix`/`ip6_prefix` (4/16 bytes + u8 len).
    case prefix(PrefixKind)
    case structure(StructPlan)
    case union(UnionPlan)
    case fixedArray(Node, Int)
    /// VLA of non-u8 elements; the element count is in the struct's length slot.
    case variableArray(Node, slot: Int)

    /// Whether an absent value of this node is not all zeros: a structure (or an array of
    /// them) with api.json defaults inside.
    var holdsDefaults: Bool {
        switch self {
        case .structure(let s): s.hasDefaults
        case .fixedArray(let element, _): element.holdsDefaults
        default: false
        }
    }

    /// The wire size when it does not depend on the data.
    var fixedSize: Int? {
        switch self {
        case .scalar(let s): s.size
        case .plainEnum(let e), .flagSet(let e): e.width.size
        case .fixedString(let n), .fixedBytes(let n): n
        case .variableString, .variableBytes, .variableArray: nil
        case .ip4Address: 4
        case .ip6Address: 16
        case .macAddress: 6
        case .address: 17
        case .prefix(let k): k.size
        case .structure(let s): s.fixedSize
        case .union(let u): u.size
        case .fixedArray(let n, let count): n.fixedSize.map { $0 * count }
        }
    }
}

/// The three prefix layouts that share the `"addr/len"` text form.
enum PrefixKind: Sendable {
    case any, ip4, ip6
    var size: Int {
        switch self {
        case .any: 18
        case .ip4: 5
        case .ip6: 17
        }
    }
}

/// An enum's values and pre-rendered names.
final class EnumPlan: Sendable {
    let name: String
    let width: ScalarType
    /// Members in declaration order.
    let members: [(name: String, value: Int64)]
    /// `"NAME"` with quotes, ready to append, per member.
    let renderedNames: [[UInt8]]
    /// Bits of every member whose value is non-zero (for flag sets).
    let flagMembers: [(value: UInt64, rendered: [UInt8])]
    /// Member names as UTF-8, for matching input strings without making `String`s.
    let names: NameTable

    init(_ def: EnumDef) {
        name = def.name
        width = def.width
        members = def.members
        renderedNames = def.members.map { Array("\"\($0.name)\"".utf8) }
        flagMembers = def.members.filter { $0.value != 0 }.map { (UInt64(bitPattern: $0.value), Array("\"\($0.name)\"".utf8)) }
        names = NameTable(def.members.map(\.name))
    }


    /// Mask of the bits the wire integer can hold.
    var mask: UInt64 {
        width.size == 8 ? .max : (UInt64(1) << UInt64(width.size * 8)) - 1
    }
}

/// One field of a compiled struct.
struct FieldPlan: Sendable {
    let name: String
    /// `"name":` with quotes and colon, ready to append.
    let key: [UInt8]
    let node: Node
    /// Rendered in JSON (false for the top-level header fields).
    let visible: Bool
    /// When this field's integer value must be remembered for a later VLA or union, its slot.
    let recordSlot: Int?
    /// For a length field: the fields whose element counts it carries.
    let lengthOf: [Int]
    /// For a discriminated union field: the slot holding the discriminator's value.
    let discriminatorSlot: Int?
    /// The `[default=…]` to encode when the field is absent.
    let defaultValue: JSONValue?
}

/// A compiled typedef or message body.
final class StructPlan: Sendable {
    let name: String
    let fields: [FieldPlan]
    /// How many integer slots decoding needs (length fields and discriminators).
    let slotCount: Int
    let fixedSize: Int?
    /// Per field: the index of the first field with its name (itself, unless names repeat).
    let firstOfName: [Int]
    /// Field names as UTF-8.
    let names: NameTable
    /// Whether a field is called `_msgname` or `_crc` (which a message's JSON may carry).
    let hasReservedName: Bool
    /// Whether some field, at any depth, has an api.json default: then an absent value of
    /// this type is its defaults, not zeros (`ipsec_sad_entry.udp_src_port` = 4500).
    let hasDefaults: Bool

    init(name: String, fields: [FieldPlan], slotCount: Int) {
        self.name = name
        self.fields = fields
        self.slotCount = slotCount
        let byName = Dictionary(fields.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        firstOfName = fields.map { byName[$0.name] ?? 0 }
        names = NameTable(fields.map(\.name))
        hasReservedName = byName["_msgname"] != nil || byName["_crc"] != nil
        hasDefaults = fields.contains { $0.defaultValue != nil || $0.node.holdsDefaults }
        var size = 0
        var fixed = true
        for f in fields {
            guard let s = f.node.fixedSize else { fixed = false; break }
            size += s
        }
        fixedSize = fixed ? size : nil
    }

}

/// A compiled union.
final class UnionPlan: Sendable {
    struct Arm: Sendable {
        let name: String
        let key: [UInt8]
        let node: Node
        let size: Int
        /// The discriminator value that selects this arm, if it has a `case` option.
        let caseValue: Int64?
    }
    let name: String
    let arms: [Arm]
    let size: Int
    /// Index of the first arm of maximal size: the one that carries all of the union's bytes.
    let widestArm: Int
    /// Arm names as UTF-8.
    let names: NameTable

    init(name: String, arms: [Arm]) {
        self.name = name
        self.arms = arms
        names = NameTable(arms.map(\.name))
        let size = arms.map(\.size).max() ?? 0
        self.size = size
        widestArm = arms.firstIndex { $0.size == size } ?? 0
    }

    /// The arm a discriminator value selects: the first whose case names that value.
    func arm(forDiscriminator value: Int64) -> Int? {
        arms.firstIndex { $0.caseValue == value }
    }
}

/// A compiled message.
final class MessagePlan: Sendable {
    let definition: MessageDef
    let body: StructPlan
    /// `{"_msgname":"…","_crc":"…"` ready to append.
    let prefix: [UInt8]
    let contextIndex: Int?
    let clientIndexIndex: Int?

    init(definition: MessageDef, body: StructPlan) {
        self.definition = definition
        self.body = body
        prefix = Array("{\"_msgname\":\"\(definition.name)\",\"_crc\":\"\(definition.crc)\"".utf8)
        contextIndex = body.fields.firstIndex { $0.name == "context" }
        clientIndexIndex = body.fields.firstIndex { $0.name == "client_index" }
    }
}

/// Names (of fields, arms or enum members) as one UTF-8 buffer, in declaration order, for
/// comparing with the strings of a `JSONTape` byte by byte.
struct NameTable: Sendable {
    let bytes: [UInt8]
    let ranges: [Range<Int>]
    /// Every name is ASCII (byte equality is then `String` equality for ASCII input).
    let allASCII: Bool

    init(_ names: [String]) {
        var bytes: [UInt8] = []
        var ranges: [Range<Int>] = []
        for n in names {
            let start = bytes.count
            bytes += n.utf8
            ranges.append(start..<bytes.count)
        }
        self.bytes = bytes
        self.ranges = ranges
        allASCII = bytes.allSatisfy { $0 < 0x80 }
    }

    /// The first name equal to `value`'s string (as Swift compares strings), if any.
    func firstIndex(of value: Value) -> Int? {
        if !allASCII || !value.isASCII {
            let s = value.text
            return bytes.withUnsafeBufferPointer { b in
                ranges.firstIndex { String(decoding: UnsafeBufferPointer(rebasing: b[$0]), as: UTF8.self) == s }
            }
        }
        let u = value.utf8
        return bytes.withUnsafeBufferPointer { b in
            ranges.withUnsafeBufferPointer { r in
                r.firstIndex { $0.count == u.count && Self.same(u, b, $0.lowerBound) }
            }
        }
    }

    /// Whether name `i` equals `value`'s string (as Swift compares strings).
    @inline(__always)
    func name(_ i: Int, equals value: Value) -> Bool {
        guard allASCII, value.isASCII else {
            return String(decoding: bytes[ranges[i]], as: UTF8.self) == value.text
        }
        let u = value.utf8
        let r = ranges[i]
        return r.count == u.count && bytes.withUnsafeBufferPointer { Self.same(u, $0, r.lowerBound) }
    }

    /// Whether `u` equals the `u.count` bytes of `b` at `offset` (which are there), eight
    /// bytes at a time.
    @inline(__always)
    static func same(_ u: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>, _ offset: Int) -> Bool {
        guard let p = u.baseAddress, let q = b.baseAddress.map({ $0 + offset }) else { return u.isEmpty }
        let n = u.count
        var k = 0
        while n - k >= 8 {
            if UnsafeRawPointer(p + k).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(q + k).loadUnaligned(as: UInt64.self) {
                return false
            }
            k += 8
        }
        while k < n {
            if p[k] != q[k] { return false }
            k += 1
        }
        return true
    }
}

/// Why a message cannot be compiled (a schema the codec cannot lay out).
struct PlanError: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
