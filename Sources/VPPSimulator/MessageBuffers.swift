/// Read access to a received message by field name, at the offsets of its layout.
///
/// Reading a field the layout does not know yields 0 / empty: the message was already checked
/// against `requiredSize`, and a handler asking for a field its schema lacks (a folder with an
/// older `.api.json`) should behave as if the client sent zero, as VPP's memset buffers do.
struct RequestView {
    let bytes: [UInt8]
    let layout: MessageLayout

    /// An unsigned field (u8…u64, bool, enum, alias of those), big-endian.
    func uint(_ name: String) -> UInt64 {
        guard let s = layout.slots[name], s.size <= 8, s.offset + s.size <= bytes.count else { return 0 }
        var v: UInt64 = 0
        for i in 0..<s.size { v = v << 8 | UInt64(bytes[s.offset + i]) }
        return v
    }

    /// A u32 field.
    func u32(_ name: String) -> UInt32 { UInt32(truncatingIfNeeded: uint(name)) }

    /// A bool or other non-zero-means-true field.
    func flag(_ name: String) -> Bool { uint(name) != 0 }

    /// An f64 field, which travels in host order (little-endian; vlib_api.c:296-319); nil
    /// when the message has no such 8-byte field.
    func f64(_ name: String) -> Double? {
        let b = raw(name)
        guard b.count == 8 else { return nil }
        return Double(bitPattern: b.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    /// The raw bytes of a fixed-size field.
    func raw(_ name: String) -> ArraySlice<UInt8> {
        guard let s = layout.slots[name], s.offset + s.size <= bytes.count else { return [] }
        return bytes[s.offset..<s.offset + s.size]
    }

    /// A `string x[N]`: the bytes up to the first NUL.
    func fixedString(_ name: String) -> String {
        let r = raw(name)
        let end = r.firstIndex(of: 0) ?? r.endIndex
        return String(decoding: r[r.startIndex..<end], as: UTF8.self)
    }

    /// The trailing `string x[]`.
    func variableString() -> String {
        guard case .string(_, let offset)? = layout.tail, offset + 4 <= bytes.count else { return "" }
        var n = 0
        for i in 0..<4 { n = n << 8 | Int(bytes[offset + i]) }
        let start = layout.fixedSize
        let end = min(bytes.count, start + n)
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}

/// Builds an outgoing message zero-filled (VPP's `vl_msg_api_alloc_zero`), field by field.
struct MessageBuilder {
    private(set) var bytes: [UInt8]
    let layout: MessageLayout

    /// A zeroed message with `_vl_msg_id` set.
    init(_ layout: MessageLayout, id: UInt16, reserve: Int = 0) {
        self.layout = layout
        bytes = [UInt8](repeating: 0, count: layout.fixedSize)
        bytes.reserveCapacity(layout.fixedSize + reserve)
        if bytes.count >= 2 {
            bytes[0] = UInt8(id >> 8)
            bytes[1] = UInt8(id & 0xff)
        }
    }

    /// Sets an integer-like field (its slot size decides the width), big-endian.
    mutating func set(_ name: String, _ value: UInt64) {
        guard let s = layout.slots[name], s.size <= 8 else { return }
        var v = value
        for i in stride(from: s.size - 1, through: 0, by: -1) {
            bytes[s.offset + i] = UInt8(v & 0xff)
            v >>= 8
        }
    }

    /// Sets a signed field (retval).
    mutating func set(_ name: String, signed value: Int64) {
        set(name, UInt64(bitPattern: value))
    }

    /// Copies raw bytes into a fixed-size field (truncated or zero-padded to its size).
    mutating func set<C: Collection<UInt8>>(_ name: String, raw: C) {
        guard let s = layout.slots[name] else { return }
        for (i, b) in raw.prefix(s.size).enumerated() { bytes[s.offset + i] = b }
    }

    /// Sets a `string x[N]`, truncated to N-1 bytes like VPP's `strncpy (…, N - 1)`.
    mutating func set(_ name: String, string: String) {
        guard let s = layout.slots[name] else { return }
        set(name, raw: Array(string.utf8.prefix(max(0, s.size - 1))))
    }

    /// Appends the trailing `string x[]` (u32 length + bytes, no NUL).
    mutating func appendVariableString(_ text: String) {
        guard case .string(_, let offset)? = layout.tail else { return }
        let utf8 = Array(text.utf8)
        let n = UInt32(truncatingIfNeeded: utf8.count)
        bytes[offset] = UInt8(n >> 24)
        bytes[offset + 1] = UInt8((n >> 16) & 0xff)
        bytes[offset + 2] = UInt8((n >> 8) & 0xff)
        bytes[offset + 3] = UInt8(n & 0xff)
        bytes.append(contentsOf: utf8)
    }

    /// Appends the trailing VLA's elements (already encoded) and sets its count field.
    mutating func appendArray(count: Int, elements: [UInt8]) {
        guard case .array(_, let countField, _)? = layout.tail else { return }
        set(countField, UInt64(count))
        bytes.append(contentsOf: elements)
    }
}

/// Big-endian helpers for hand-built element bytes (message table entries, thread data).
extension Array where Element == UInt8 {
    mutating func appendBigEndian<T: FixedWidthInteger>(_ v: T) {
        var be = v.bigEndian
        Swift.withUnsafeBytes(of: &be) { append(contentsOf: $0) }
    }

    mutating func appendFixedString(_ s: String, size: Int) {
        let utf8 = Array(s.utf8.prefix(size - 1))
        append(contentsOf: utf8)
        append(contentsOf: repeatElement(0, count: size - utf8.count))
    }
}
