import VPPJSON
import VPPSchema

/// Walks a message's bytes along its plan and writes canonical JSON.
///
/// Every read is bounds-checked against the received length: a truncated message or a
/// length field pointing past the end is an error, never an out-of-bounds read.
struct BinaryDecoder: ~Copyable {
    let p: UnsafeRawBufferPointer
    var offset = 0
    var writer: JSONWriter
    /// Header values seen at the top level (`_vl_msg_id`, `client_index`, `context`).
    var header = MessageHeader()

    init(_ p: UnsafeRawBufferPointer, capacity: Int) {
        self.p = p
        writer = JSONWriter(capacity: capacity)
    }

    @inline(__always)
    private func need(_ n: Int) throws(CodecError) {
        if n > p.count - offset {
            throw CodecError(.truncated, path: "", reason: "message truncated: \(n) more byte\(n == 1 ? "" : "s") needed at offset \(offset), \(p.count - offset) left")
        }
    }

    @inline(__always)
    private mutating func readUnsigned(_ size: Int) throws(CodecError) -> UInt64 {
        try need(size)
        defer { offset += size }
        switch size {
        case 1: return UInt64(p[offset])
        case 2: return UInt64(UInt16(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
        case 4: return UInt64(UInt32(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        default: return UInt64(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
        }
    }

    @inline(__always)
    private mutating func readSigned(_ size: Int) throws(CodecError) -> Int64 {
        let u = try readUnsigned(size)
        switch size {
        case 1: return Int64(Int8(truncatingIfNeeded: u))
        case 2: return Int64(Int16(truncatingIfNeeded: u))
        case 4: return Int64(Int32(truncatingIfNeeded: u))
        default: return Int64(bitPattern: u)
        }
    }

    mutating func decodeMessage(_ plan: MessagePlan) throws(CodecError) {
        writer.raw(plan.prefix)
        try decodeFields(plan.body, topLevel: true)
        writer.raw(UInt8(ascii: "}"))
    }

    private mutating func decodeFields(_ plan: StructPlan, topLevel: Bool) throws(CodecError) {
        var slots = SlotStorage(count: plan.slotCount)
        for (i, field) in plan.fields.enumerated() {
            do throws(CodecError) {
                if !field.visible {
                    let v = try readUnsigned(field.node.fixedSize ?? 0)
                    switch field.name {
                    case "_vl_msg_id": header.messageID = UInt16(truncatingIfNeeded: v)
                    case "client_index": header.clientIndex = UInt32(truncatingIfNeeded: v)
                    default: header.context = UInt32(truncatingIfNeeded: v)
                    }
                    if let s = field.recordSlot { slots[s] = Int64(v) }
                    continue
                }
                if topLevel || i > 0 { writer.raw(UInt8(ascii: ",")) }
                writer.raw(field.key)
                let value = try decodeNode(field.node, slots: slots, discriminatorSlot: field.discriminatorSlot)
                if let s = field.recordSlot { slots[s] = value }
            } catch {
                throw error.under(field.name)
            }
        }
        if !topLevel, plan.fields.first?.visible == false { return }
    }

    /// Decodes one value; returns its integer value for integers and enums (else 0), so
    /// length fields and discriminators can be remembered.
    private mutating func decodeNode(_ node: Node, slots: SlotStorage, discriminatorSlot: Int?) throws(CodecError) -> Int64 {
        switch node {
        case .scalar(let s):
            switch s {
            case .bool:
                try need(1)
                writer.bool(p[offset] != 0)
                offset += 1
                return 0
            case .f64:
                try need(8)
                let bits = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                offset += 8
                writer.double(Double(bitPattern: bits))
                return 0
            case .u8, .u16, .u32, .u64:
                let v = try readUnsigned(s.size)
                writer.uint(v)
                return Int64(bitPattern: v)
            case .i8, .i16, .i32, .i64:
                let v = try readSigned(s.size)
                writer.int(v)
                return v
            }
        case .plainEnum(let e):
            let v = e.width.isSigned ? try readSigned(e.width.size) : Int64(try readUnsigned(e.width.size))
            if let i = e.members.firstIndex(where: { $0.value == v }) {
                writer.raw(e.renderedNames[i])
            } else {
                writer.int(v)
            }
            return v
        case .flagSet(let e):
            let v = try readUnsigned(e.width.size)
            writeFlags(v, e)
            return Int64(bitPattern: v)
        case .fixedString(let n):
            try need(n)
            var len = 0
            while len < n, p[offset + len] != 0 { len += 1 }
            writer.stringBytes(UnsafeRawBufferPointer(rebasing: p[offset..<offset + len]))
            offset += n
            return 0
        case .variableString:
            let len = Int(try readUnsigned(4))
            do throws(CodecError) { try need(len) } catch {
                throw CodecError(.badLength, path: "", reason: "string length \(len) points past the end of the message (\(p.count - offset) bytes left)")
            }
            writer.stringBytes(UnsafeRawBufferPointer(rebasing: p[offset..<offset + len]))
            offset += len
            return 0
        case .fixedBytes(let n):
            try need(n)
            writer.hexString(UnsafeRawBufferPointer(rebasing: p[offset..<offset + n]))
            offset += n
            return 0
        case .variableBytes(let slot):
            let n = try count(slots[slot], elementSize: 1)
            writer.hexString(UnsafeRawBufferPointer(rebasing: p[offset..<offset + n]))
            offset += n
            return 0
        case .ip4Address:
            try need(4)
            writer.raw(UInt8(ascii: "\""))
            AddressText.writeIP4(p, at: offset, into: &writer)
            writer.raw(UInt8(ascii: "\""))
            offset += 4
            return 0
        case .ip6Address:
            try need(16)
            writer.raw(UInt8(ascii: "\""))
            AddressText.writeIP6(p, at: offset, into: &writer)
            writer.raw(UInt8(ascii: "\""))
            offset += 16
            return 0
        case .macAddress:
            try need(6)
            writer.raw(UInt8(ascii: "\""))
            AddressText.writeMAC(p, at: offset, into: &writer)
            writer.raw(UInt8(ascii: "\""))
            offset += 6
            return 0
        case .address:
            try need(17)
            writer.raw(UInt8(ascii: "\""))
            writeAddress(at: offset)
            writer.raw(UInt8(ascii: "\""))
            offset += 17
            return 0
        case .prefix(let kind):
            try need(kind.size)
            writer.raw(UInt8(ascii: "\""))
            switch kind {
            case .any: writeAddress(at: offset)
            case .ip4: AddressText.writeIP4(p, at: offset, into: &writer)
            case .ip6: AddressText.writeIP6(p, at: offset, into: &writer)
            }
            writer.raw(UInt8(ascii: "/"))
            writer.uint(UInt64(p[offset + kind.size - 1]))
            writer.raw(UInt8(ascii: "\""))
            offset += kind.size
            return 0
        case .structure(let s):
            writer.raw(UInt8(ascii: "{"))
            try decodeFields(s, topLevel: false)
            writer.raw(UInt8(ascii: "}"))
            return 0
        case .union(let u):
            try decodeUnion(u, discriminator: discriminatorSlot.map { slots[$0] })
            return 0
        case .fixedArray(let element, let n):
            try decodeArray(element, count: n, slots: slots)
            return 0
        case .variableArray(let element, let slot):
            let n = try count(slots[slot], elementSize: element.fixedSize ?? 1)
            try decodeArray(element, count: n, slots: slots)
            return 0
        }
    }

    /// Validates a VLA count against the bytes left (each element needs at least one byte).
    private func count(_ raw: Int64, elementSize: Int) throws(CodecError) -> Int {
        let left = p.count - offset
        guard raw >= 0, raw <= Int64(left / max(elementSize, 1)) else {
            throw CodecError(.badLength, path: "", reason: "length field says \(raw) element\(raw == 1 ? "" : "s") but only \(left) byte\(left == 1 ? "" : "s") are left")
        }
        return Int(raw)
    }

    private mutating func decodeArray(_ element: Node, count n: Int, slots: SlotStorage) throws(CodecError) {
        writer.raw(UInt8(ascii: "["))
        for i in 0..<n {
            if i > 0 { writer.raw(UInt8(ascii: ",")) }
            do throws(CodecError) {
                _ = try decodeNode(element, slots: slots, discriminatorSlot: nil)
            } catch {
                throw error.under(String(i))
            }
        }
        writer.raw(UInt8(ascii: "]"))
    }

    /// A discriminated union renders its active arm only; otherwise (no discriminator, or a
    /// value no arm names) every arm is rendered from the same bytes (vectors README §3.7).
    private mutating func decodeUnion(_ u: UnionPlan, discriminator: Int64?) throws(CodecError) {
        try need(u.size)
        let start = offset
        writer.raw(UInt8(ascii: "{"))
        if let d = discriminator, let armIndex = u.arm(forDiscriminator: d) {
            let arm = u.arms[armIndex]
            writer.raw(arm.key)
            do throws(CodecError) { _ = try decodeNode(arm.node, slots: SlotStorage(count: 0), discriminatorSlot: nil) } catch {
                throw error.under(arm.name)
            }
        } else {
            for (i, arm) in u.arms.enumerated() {
                offset = start
                if i > 0 { writer.raw(UInt8(ascii: ",")) }
                writer.raw(arm.key)
                do throws(CodecError) { _ = try decodeNode(arm.node, slots: SlotStorage(count: 0), discriminatorSlot: nil) } catch {
                    throw error.under(arm.name)
                }
            }
        }
        writer.raw(UInt8(ascii: "}"))
        offset = start + u.size
    }

    private mutating func writeAddress(at o: Int) {
        switch p[o] {
        case 0: AddressText.writeIP4(p, at: o + 1, into: &writer)
        case 1: AddressText.writeIP6(p, at: o + 1, into: &writer)
        default: writer.raw("unknown-af")
        }
    }

    /// Names of the set members in declaration order, then leftover bits as one integer.
    private mutating func writeFlags(_ v: UInt64, _ e: EnumPlan) {
        writer.raw(UInt8(ascii: "["))
        var covered: UInt64 = 0
        var first = true
        for m in e.flagMembers where v & m.value == m.value {
            if !first { writer.raw(UInt8(ascii: ",")) }
            writer.raw(m.rendered)
            covered |= m.value
            first = false
        }
        let leftover = v & ~covered
        if leftover != 0 {
            if !first { writer.raw(UInt8(ascii: ",")) }
            writer.uint(leftover)
        }
        writer.raw(UInt8(ascii: "]"))
    }
}

/// A few integers remembered while decoding one struct (length fields, discriminators),
/// without a heap allocation for the common case of at most four.
struct SlotStorage {
    private var inline: (Int64, Int64, Int64, Int64) = (0, 0, 0, 0)
    private var overflow: [Int64] = []

    init(count: Int) {
        if count > 4 { overflow = [Int64](repeating: 0, count: count - 4) }
    }

    subscript(i: Int) -> Int64 {
        get {
            switch i {
            case 0: inline.0
            case 1: inline.1
            case 2: inline.2
            case 3: inline.3
            default: overflow[i - 4]
            }
        }
        set {
            switch i {
            case 0: inline.0 = newValue
            case 1: inline.1 = newValue
            case 2: inline.2 = newValue
            case 3: inline.3 = newValue
            default: overflow[i - 4] = newValue
            }
        }
    }
}
