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
    /// Values by member name, the first member of a name winning (as a scan would).
    private let valuesByName: [String: Int64]

    init(_ def: EnumDef) {
        name = def.name
        width = def.width
        members = def.members
        renderedNames = def.members.map { Array("\"\($0.name)\"".utf8) }
        flagMembers = def.members.filter { $0.value != 0 }.map { (UInt64(bitPattern: $0.value), Array("\"\($0.name)\"".utf8)) }
        valuesByName = Dictionary(def.members.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// The value of the member called `n` (compared as Swift strings compare).
    func value(named n: String) -> Int64? {
        valuesByName[n]
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
    /// Field indexes by name (the first field of a name), for matching JSON members.
    private let indexByName: [String: Int]

    init(name: String, fields: [FieldPlan], slotCount: Int) {
        self.name = name
        self.fields = fields
        self.slotCount = slotCount
        let byName = Dictionary(fields.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        indexByName = byName
        firstOfName = fields.map { byName[$0.name] ?? 0 }
        var size = 0
        var fixed = true
        for f in fields {
            guard let s = f.node.fixedSize else { fixed = false; break }
            size += s
        }
        fixedSize = fixed ? size : nil
    }

    /// The first field called `name` (compared as Swift strings compare), if any.
    func index(ofField name: String) -> Int? {
        indexByName[name]
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

    init(name: String, arms: [Arm]) {
        self.name = name
        self.arms = arms
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

/// Why a message cannot be compiled (a schema the codec cannot lay out).
struct PlanError: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
