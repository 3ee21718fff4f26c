import VPPJSON
import VPPSchema

/// What one decode op reads and renders.
enum OpCode: UInt8 {
    /// Integers by width, so that each read has a constant size.
    case u8, u16, u32, u64, i8, i16, i32, i64
    case bool, f64
    case plainEnum, flagSet
    case fixedString, variableString, fixedBytes, variableBytes
    case ip4, ip6, mac, address, prefixAny, prefix4, prefix6
    case structure, union, fixedArray, variableArray
    /// A top-level header field (`_vl_msg_id`, `client_index`, `context`): read, not rendered.
    case header
}

/// One field (or array element, or union arm) of a compiled message, as plain data.
///
/// Sizes and counts from the schema are clamped to `Int32`: a layout that large cannot be
/// present in a message, so decoding it fails with "truncated", as it would unclamped.
///
/// The decoder walks arrays of these without touching a reference count: everything an op
/// needs is an integer, and its key is a range of the program's shared text.
struct Op {
    var code: OpCode
    /// Integer width in bytes (scalars, enums, header fields).
    var width: UInt8 = 0
    /// Enums: the wire integer is signed.
    var signed = false
    /// Unions: `caseValue` is set.
    var hasCase = false
    /// The slot the field's integer value is remembered in (length fields, discriminators).
    var recordSlot: Int32 = -1
    /// VLAs: the slot of the length field; unions: the slot of the discriminator.
    var slot: Int32 = -1
    /// The pre-rendered key (`,"name":`, `"name":`, or nothing) in `text`.
    var keyStart: Int32 = 0
    var keyLength: Int32 = 0
    /// Fixed strings, bytes and arrays: the count. Structures and unions: the first op of
    /// their fields or arms. Enums: the enum table. Header fields: which one (0, 1, 2).
    var a: Int32 = 0
    /// Structures and unions: how many fields or arms. Arrays: the element op.
    var b: Int32 = 0
    /// Structures: slot count. Unions: byte size. VLAs: the element's wire size (for the
    /// count check). Fixed arrays: the element's fixed size, or 0.
    var c: Int32 = 0
    /// Union arms: the discriminator value that selects the arm.
    var caseValue: Int64 = 0
    /// Structures made only of fixed-size values that cannot fail once their bytes are
    /// there (integers, enums, flags, addresses, such structures): their wire size, else -1.
    var simpleSize: Int32 = -1
    /// For those: an upper bound of their JSON, braces included.
    var simpleOut: Int32 = -1
}

/// An enum's rendering data, as ranges of the program's tables.
struct EnumTable {
    var membersStart: Int32 = 0
    var membersCount: Int32 = 0
    /// Values 0..<denseCount map straight to the first member with that value (or -1).
    var denseStart: Int32 = 0
    var denseCount: Int32 = 0
    var flagsStart: Int32 = 0
    var flagsCount: Int32 = 0
}

/// A member name (with quotes) and its value; for flag members the value's bit pattern.
struct EnumName {
    var value: Int64
    var textStart: Int32
    var textLength: Int32
}

/// Where a message starts in the program.
struct MessageEntry {
    /// `{"_msgname":"…","_crc":"…"` in `text`.
    var prefixStart: Int32
    var prefixLength: Int32
    var bodyStart: Int32
    var bodyCount: Int32
    var slotCount: Int32
}

/// Every message plan of a codec flattened into arrays of plain data, for decoding.
///
/// Immutable after `init`; the storage is allocated once and freed with the program, which
/// the codec owns. `@unchecked Sendable` because it holds raw pointers, which are only read.
final class DecodeProgram: @unchecked Sendable {
    let ops: UnsafeMutablePointer<Op>
    let opCount: Int
    /// Keys, member names and message prefixes.
    let text: UnsafeMutablePointer<UInt8>
    let textCount: Int
    let enums: UnsafeMutablePointer<EnumTable>
    let enumCount: Int
    let enumNames: UnsafeMutablePointer<EnumName>
    let enumNameCount: Int
    let dense: UnsafeMutablePointer<Int32>
    let denseCount: Int
    /// Field and arm names per op, for error paths (only read when decoding fails).
    let names: [String]
    /// Entries by message name.
    let messages: [String: MessageEntry]
    /// The same entries in an open-addressing table keyed by the name's UTF-8 bytes, cheaper
    /// to probe than hashing a `String` (`entry(named:)`).
    private let table: UnsafeMutablePointer<TableSlot>
    private let tableMask: Int

    init(plans: [String: MessagePlan]) {
        var b = ProgramBuilder()
        var messages: [String: MessageEntry] = [:]
        for (name, plan) in plans {
            messages[name] = b.message(plan)
            _ = b.intern(Array(name.utf8))
        }
        self.messages = messages
        names = b.names
        (ops, opCount) = Self.copy(b.ops)
        (text, textCount) = Self.copy(b.text + [UInt8](repeating: 0, count: OutputCursor.keySlack))
        (enums, enumCount) = Self.copy(b.enums)
        (enumNames, enumNameCount) = Self.copy(b.enumNames)
        (dense, denseCount) = Self.copy(b.dense)
        var size = 16
        while size < 2 * messages.count { size *= 2 }
        var slots = [TableSlot](repeating: TableSlot(hash: 0, nameStart: 0, nameLength: -1, entry: nil), count: size)
        for (name, entry) in messages {
            let utf8 = Array(name.utf8)
            guard let start = b.textIndex[utf8] else { continue }
            let h = utf8.withUnsafeBufferPointer { Self.hash(UnsafeRawBufferPointer($0)) }
            var i = Int(truncatingIfNeeded: h) & (size - 1)
            while slots[i].nameLength >= 0 { i = (i + 1) & (size - 1) }
            slots[i] = TableSlot(hash: h, nameStart: start, nameLength: Int32(utf8.count), entry: entry)
        }
        (table, _) = Self.copy(slots)
        tableMask = size - 1
    }

    /// One slot of the name table; `nameLength` -1 marks an empty slot.
    struct TableSlot {
        var hash: UInt64
        var nameStart: Int32
        var nameLength: Int32
        var entry: MessageEntry?
    }

    /// The entry of the message called `name`. Names are compared byte for byte; a name the
    /// table lacks is looked up in `messages` as well, which compares `String`s the Swift
    /// way (canonical equivalence), so the answer is always the dictionary's.
    @inline(__always)
    func entry(named name: String) -> MessageEntry? {
        let found = name.utf8.withContiguousStorageIfAvailable { bytes -> MessageEntry? in
            let raw = UnsafeRawBufferPointer(bytes)
            let h = Self.hash(raw)
            var i = Int(truncatingIfNeeded: h) & tableMask
            while true {
                let slot = table[i]
                if slot.nameLength < 0 { return nil }
                if slot.hash == h, Int(slot.nameLength) == raw.count,
                   Self.equal(raw, UnsafeRawPointer(text + Int(slot.nameStart))) {
                    return slot.entry
                }
                i = (i + 1) & tableMask
            }
        }
        if let e = found ?? nil { return e }
        return messages[name]
    }

    /// A quick 64-bit hash of a short byte string, eight bytes at a time.
    @inline(__always)
    static func hash(_ b: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(b.count)
        var i = 0
        if let base = b.baseAddress {
            while b.count - i >= 8 {
                h = (h ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
                h ^= h >> 32
                i += 8
            }
            var tail: UInt64 = 0
            while i < b.count {
                tail = tail << 8 | UInt64(base.load(fromByteOffset: i, as: UInt8.self))
                i += 1
            }
            h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        }
        return h ^ h >> 29
    }

    /// Whether the bytes of `a` equal as many bytes at `b`.
    @inline(__always)
    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawPointer) -> Bool {
        guard let p = a.baseAddress else { return true }
        var i = 0
        while a.count - i >= 8 {
            if p.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        while i < a.count {
            if p.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
            i += 1
        }
        return true
    }

    deinit {
        ops.deallocate()
        text.deallocate()
        enums.deallocate()
        enumNames.deallocate()
        dense.deallocate()
        table.deallocate()
    }

    private static func copy<T>(_ a: [T]) -> (UnsafeMutablePointer<T>, Int) {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(a.count, 1))
        _ = UnsafeMutableBufferPointer(start: p, count: a.count).initialize(from: a)
        return (p, a.count)
    }
}

/// Flattens plans into a program, sharing the ops of typedefs, unions and enums used
/// many times.
private struct ProgramBuilder {
    var ops: [Op] = []
    var names: [String] = []
    var text: [UInt8] = []
    var enums: [EnumTable] = []
    var enumNames: [EnumName] = []
    var dense: [Int32] = []
    private var structs: [ObjectIdentifier: (start: Int32, count: Int32)] = [:]
    private var unions: [ObjectIdentifier: (start: Int32, count: Int32)] = [:]
    private var enumIndex: [ObjectIdentifier: Int32] = [:]
    private(set) var textIndex: [[UInt8]: Int32] = [:]

    mutating func message(_ plan: MessagePlan) -> MessageEntry {
        let (start, count) = fields(plan.body, topLevel: true)
        let prefix = intern(plan.prefix)
        return MessageEntry(prefixStart: prefix, prefixLength: Int32(plan.prefix.count), bodyStart: start,
                            bodyCount: count, slotCount: Int32(clamping: plan.body.slotCount))
    }

    /// Text interned once per distinct byte string.
    mutating func intern(_ bytes: [UInt8]) -> Int32 {
        if let i = textIndex[bytes] { return i }
        let i = Int32(text.count)
        text += bytes
        textIndex[bytes] = i
        return i
    }

    private mutating func append(_ op: Op, name: String) -> Int32 {
        ops.append(op)
        names.append(name)
        return Int32(ops.count - 1)
    }

    /// A struct's fields as consecutive ops (their children follow elsewhere).
    private mutating func fields(_ s: StructPlan, topLevel: Bool) -> (Int32, Int32) {
        if !topLevel, let known = structs[ObjectIdentifier(s)] { return known }
        let start = Int32(ops.count)
        for f in s.fields { _ = append(Op(code: .u8), name: f.name) }
        let range = (start, Int32(s.fields.count))
        if !topLevel { structs[ObjectIdentifier(s)] = range }
        for (i, f) in s.fields.enumerated() {
            var op: Op
            if f.visible {
                op = node(f.node)
                // The comma rule of the canonical form: every field of a message follows
                // `_msgname`/`_crc`; in a typedef every field but the first.
                let key = (topLevel || i > 0 ? [UInt8(ascii: ",")] : []) + f.key
                op.keyStart = intern(key)
                op.keyLength = Int32(key.count)
                if let d = f.discriminatorSlot { op.slot = Int32(clamping: d) }
            } else {
                op = Op(code: .header)
                op.width = UInt8(clamping: f.node.fixedSize ?? 0)
                op.a = f.name == "_vl_msg_id" ? 0 : f.name == "client_index" ? 1 : 2
            }
            if let r = f.recordSlot { op.recordSlot = Int32(clamping: r) }
            ops[Int(start) + i] = op
        }
        return range
    }

    /// The op of one value, without key.
    private mutating func node(_ n: Node) -> Op {
        switch n {
        case .scalar(let s):
            switch s {
            case .bool: return Op(code: .bool, width: 1)
            case .f64: return Op(code: .f64, width: 8)
            case .u8: return Op(code: .u8, width: 1)
            case .u16: return Op(code: .u16, width: 2)
            case .u32: return Op(code: .u32, width: 4)
            case .u64: return Op(code: .u64, width: 8)
            case .i8: return Op(code: .i8, width: 1)
            case .i16: return Op(code: .i16, width: 2)
            case .i32: return Op(code: .i32, width: 4)
            case .i64: return Op(code: .i64, width: 8)
            }
        case .plainEnum(let e):
            return Op(code: .plainEnum, width: UInt8(e.width.size), signed: e.width.isSigned, a: enumTable(e))
        case .flagSet(let e):
            return Op(code: .flagSet, width: UInt8(e.width.size), a: enumTable(e))
        case .fixedString(let n): return Op(code: .fixedString, a: Int32(clamping: n))
        case .variableString: return Op(code: .variableString)
        case .fixedBytes(let n): return Op(code: .fixedBytes, a: Int32(clamping: n))
        case .variableBytes(let slot): return Op(code: .variableBytes, slot: Int32(clamping: slot))
        case .ip4Address: return Op(code: .ip4)
        case .ip6Address: return Op(code: .ip6)
        case .macAddress: return Op(code: .mac)
        case .address: return Op(code: .address)
        case .prefix(let kind):
            switch kind {
            case .any: return Op(code: .prefixAny)
            case .ip4: return Op(code: .prefix4)
            case .ip6: return Op(code: .prefix6)
            }
        case .structure(let s):
            let (start, count) = fields(s, topLevel: false)
            var op = Op(code: .structure, a: start, b: count, c: Int32(clamping: s.slotCount))
            if s.slotCount == 0, let (size, out) = simple(fields: Int(start)..<Int(start + count)) {
                op.simpleSize = Int32(clamping: size)
                op.simpleOut = Int32(clamping: out)
            }
            return op
        case .union(let u):
            let (start, count) = arms(u)
            return Op(code: .union, a: start, b: count, c: Int32(clamping: u.size))
        case .fixedArray(let element, let n):
            let e = node(element)
            let index = append(e, name: "")
            return Op(code: .fixedArray, a: Int32(clamping: n), b: index, c: Int32(clamping: element.fixedSize ?? 0))
        case .variableArray(let element, let slot):
            let e = node(element)
            let index = append(e, name: "")
            return Op(code: .variableArray, slot: Int32(clamping: slot), b: index, c: Int32(clamping: element.fixedSize ?? 1))
        }
    }

    /// Wire size and JSON bound of fields that are all simple (see `Op.simpleSize`), or nil.
    private func simple(fields range: Range<Int>) -> (Int, Int)? {
        var size = 2 // braces
        var out = 2
        for i in range {
            let op = ops[i]
            guard op.recordSlot < 0, let (s, o) = simple(op) else { return nil }
            size += s
            out += Int(op.keyLength) + o
        }
        return (size - 2, out)
    }

    /// Wire size and JSON bound of one simple value, or nil.
    private func simple(_ op: Op) -> (Int, Int)? {
        switch op.code {
        case .u8, .u16, .u32, .u64, .i8, .i16, .i32, .i64: return (Int(op.width), 21)
        case .bool: return (1, 5)
        case .plainEnum:
            let t = enums[Int(op.a)]
            let longest = (Int(t.membersStart)..<Int(t.membersStart + t.membersCount)).map { Int(enumNames[$0].textLength) }.max() ?? 0
            return (Int(op.width), max(longest, 21))
        case .flagSet:
            let t = enums[Int(op.a)]
            let names = (Int(t.flagsStart)..<Int(t.flagsStart + t.flagsCount)).reduce(0) { $0 + Int(enumNames[$1].textLength) + 1 }
            return (Int(op.width), 2 + names + 21)
        case .ip4: return (4, 17)
        case .ip6: return (16, 41)
        case .mac: return (6, 19)
        case .address: return (17, 41)
        case .prefixAny: return (18, 46)
        case .prefix4: return (5, 46)
        case .prefix6: return (17, 46)
        case .structure: return op.simpleSize >= 0 ? (Int(op.simpleSize), Int(op.simpleOut)) : nil
        default: return nil
        }
    }

    private mutating func arms(_ u: UnionPlan) -> (Int32, Int32) {
        if let known = unions[ObjectIdentifier(u)] { return known }
        let start = Int32(ops.count)
        for arm in u.arms { _ = append(Op(code: .u8), name: arm.name) }
        let range = (start, Int32(u.arms.count))
        unions[ObjectIdentifier(u)] = range
        for (i, arm) in u.arms.enumerated() {
            var op = node(arm.node)
            op.keyStart = intern(arm.key)
            op.keyLength = Int32(arm.key.count)
            if let v = arm.caseValue {
                op.hasCase = true
                op.caseValue = v
            }
            ops[Int(start) + i] = op
        }
        return range
    }

    private mutating func enumTable(_ e: EnumPlan) -> Int32 {
        if let i = enumIndex[ObjectIdentifier(e)] { return i }
        var t = EnumTable()
        t.membersStart = Int32(enumNames.count)
        for (m, rendered) in zip(e.members, e.renderedNames) {
            enumNames.append(EnumName(value: m.value, textStart: intern(rendered), textLength: Int32(rendered.count)))
        }
        t.membersCount = Int32(e.members.count)
        // Direct lookup for the usual small non-negative values; first member wins, as in a
        // scan in declaration order.
        let largest = e.members.map(\.value).filter { $0 >= 0 }.max() ?? -1
        let denseCount = largest >= 255 ? 256 : Int(largest + 1)
        t.denseStart = Int32(dense.count)
        t.denseCount = Int32(denseCount)
        var table = [Int32](repeating: -1, count: denseCount)
        for (i, m) in e.members.enumerated().reversed() where m.value >= 0 && m.value < Int64(denseCount) {
            table[Int(m.value)] = t.membersStart + Int32(i)
        }
        dense += table
        t.flagsStart = Int32(enumNames.count)
        for f in e.flagMembers {
            enumNames.append(EnumName(value: Int64(bitPattern: f.value), textStart: intern(f.rendered),
                                      textLength: Int32(f.rendered.count)))
        }
        t.flagsCount = Int32(e.flagMembers.count)
        enums.append(t)
        let index = Int32(enums.count - 1)
        enumIndex[ObjectIdentifier(e)] = index
        return index
    }
}
