/// Appends JSON text straight into a byte buffer.
///
/// The decoder's hot path renders messages without building an intermediate tree: it
/// writes keys, numbers and strings here. Everything written is valid JSON: invalid UTF-8
/// coming off the wire becomes U+FFFD rather than breaking the document.
public struct JSONWriter: Sendable {
    /// The JSON text written so far.
    public var bytes: [UInt8]

    /// A writer with room reserved for `capacity` bytes.
    @inlinable
    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    // The small writers are `@inlinable`: callers in other modules (the gateway's problem
    // documents, dump streaming) then append without a call per punctuation byte.

    /// Appends bytes that are already valid JSON (keys prepared in advance, punctuation).
    @inlinable @inline(__always)
    public mutating func raw(_ b: UInt8) {
        bytes.append(b)
    }

    /// Appends pre-rendered JSON bytes.
    @inlinable @inline(__always)
    public mutating func raw(_ b: [UInt8]) {
        bytes.append(contentsOf: b)
    }

    /// Appends pre-rendered JSON text.
    @inlinable @inline(__always)
    public mutating func raw(_ s: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// Writes an unsigned integer in decimal.
    @inlinable
    public mutating func uint(_ value: UInt64) {
        if value < 10 {
            bytes.append(UInt8(truncatingIfNeeded: value) &+ 48)
            return
        }
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0) // 24 bytes: u64 max has 20 digits
        withUnsafeMutableBytes(of: &scratch) { raw in
            let digits = raw.bindMemory(to: UInt8.self)
            guard let p = digits.baseAddress else { return }
            bytes.append(contentsOf: UnsafeBufferPointer(start: p, count: JSONText.writeDecimal(value, to: p)))
        }
    }

    /// Writes a signed integer in decimal.
    @inlinable
    public mutating func int(_ value: Int64) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            uint(value.magnitude)
        } else {
            uint(UInt64(value))
        }
    }

    /// Writes a boolean.
    @inlinable
    public mutating func bool(_ value: Bool) {
        if value { raw("true") } else { raw("false") }
    }

    /// Writes an f64 the way Python's `repr` does (`1.0`, `0.1`, `-0.0`, `5e-324`,
    /// `1e+16`), the canonical form of the vectors. NaN and infinities have no JSON
    /// form; they are written as `null` so the document stays valid.
    public mutating func double(_ value: Double) {
        raw(Array(pythonRepr(value).utf8))
    }

    /// Writes a string with JSON escaping.
    public mutating func string(_ s: String) {
        var s = s
        s.withUTF8 { buf in
            stringBytes(UnsafeRawBufferPointer(buf), validated: true)
        }
    }

    /// Writes wire bytes as a JSON string. Invalid UTF-8 is replaced by U+FFFD (as
    /// `String(decoding:as:)` does) so the output is always valid JSON; `validated` skips
    /// that check for known-good input, whose bytes are then copied as they are.
    public mutating func stringBytes(_ buf: UnsafeRawBufferPointer, validated: Bool = false) {
        bytes.append(UInt8(ascii: "\""))
        if let p = buf.baseAddress?.assumingMemoryBound(to: UInt8.self) {
            let mark = bytes.count
            if !appendEscaped(p, buf.count, trusted: validated) {
                bytes.removeSubrange(mark...)
                let repaired = Array(String(decoding: buf, as: UTF8.self).utf8)
                repaired.withUnsafeBufferPointer { r in
                    if let q = r.baseAddress { _ = appendEscaped(q, r.count, trusted: true) }
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends string content, escaped, copying the runs between special bytes in bulk.
    /// Untrusted input is validated as it goes: false at the first ill-formed UTF-8
    /// sequence (what was appended is then incomplete).
    private mutating func appendEscaped(_ p: UnsafePointer<UInt8>, _ n: Int, trusted: Bool) -> Bool {
        var i = 0
        while i < n {
            var j = JSONText.firstSpecialByte(p, from: i, to: n)
            if j == n { break }
            let b = p[j]
            if b < 0x80 {
                bytes.append(contentsOf: UnsafeBufferPointer(start: p + i, count: j - i))
                var escape: UInt64 = 0
                withUnsafeMutableBytes(of: &escape) { raw in
                    let e = raw.bindMemory(to: UInt8.self)
                    guard let q = e.baseAddress else { return }
                    bytes.append(contentsOf: UnsafeBufferPointer(start: q, count: JSONText.writeEscape(b, to: q)))
                }
                i = j + 1
                continue
            }
            if trusted {
                while j < n, p[j] >= 0x80 { j += 1 }
            } else {
                let len = JSONText.validUTF8SequenceLength(p, at: j, count: n)
                if len == 0 { return false }
                j += len
            }
            bytes.append(contentsOf: UnsafeBufferPointer(start: p + i, count: j - i))
            i = j
        }
        if i < n { bytes.append(contentsOf: UnsafeBufferPointer(start: p + i, count: n - i)) }
        return true
    }

    /// Writes `"0x"` followed by lowercase hex of the bytes, VPP's form for u8 arrays.
    public mutating func hexString(_ buf: UnsafeRawBufferPointer) {
        raw("\"0x")
        let pairs = JSONText.hexPairs
        for b in buf {
            bytes.append(pairs[2 * Int(b)])
            bytes.append(pairs[2 * Int(b) + 1])
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Writes any `JSONValue` (used for values that did not come from the wire).
    public mutating func value(_ v: JSONValue) {
        switch v {
        case .null: raw("null")
        case .bool(let b): bool(b)
        case .number(let n): raw(Array(n.text.utf8))
        case .string(let s): string(s)
        case .array(let a):
            raw(UInt8(ascii: "["))
            for (i, e) in a.enumerated() {
                if i > 0 { raw(UInt8(ascii: ",")) }
                value(e)
            }
            raw(UInt8(ascii: "]"))
        case .object(let o):
            raw(UInt8(ascii: "{"))
            for (i, m) in o.members.enumerated() {
                if i > 0 { raw(UInt8(ascii: ",")) }
                string(m.key)
                raw(UInt8(ascii: ":"))
                value(m.value)
            }
            raw(UInt8(ascii: "}"))
        }
    }
}

/// Lowercase hex digits as ASCII bytes. (A global array costs a lazy-initialisation check
/// per access; hot code uses `JSONText.hexDigit` or `JSONText.hexPairs` instead.)
public let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

extension JSONValue {
    /// The value as compact JSON text.
    public var jsonText: String {
        var w = JSONWriter()
        w.value(self)
        return String(decoding: w.bytes, as: UTF8.self)
    }
}

/// Python's `repr(float)`: shortest round-trip digits, fixed notation for decimal exponents
/// from -4 to 15, otherwise `d.ddde+XX` with at least two exponent digits.
public func pythonRepr(_ value: Double) -> String {
    if value.isNaN || value.isInfinite { return "null" }
    if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
    // Swift's description gives the shortest round-trip digits; re-lay them out.
    let desc = value.magnitude.description
    var digits: [UInt8] = []
    var exp10 = 0 // position of the decimal point relative to the digits' start
    var seenPoint = false
    var mantissaEnd = desc.utf8.endIndex
    var expPart = 0
    if let eIdx = desc.utf8.firstIndex(of: UInt8(ascii: "e")) {
        mantissaEnd = eIdx
        expPart = Int(String(desc[desc.index(after: eIdx)...]).replacingOccurrences(of: "+", with: "")) ?? 0
    }
    var intCount = 0
    for b in desc.utf8[..<mantissaEnd] {
        if b == UInt8(ascii: ".") { seenPoint = true; continue }
        digits.append(b)
        if !seenPoint { intCount += 1 }
    }
    exp10 = intCount + expPart
    while let f = digits.first, f == UInt8(ascii: "0"), digits.count > 1 { digits.removeFirst(); exp10 -= 1 }
    while let l = digits.last, l == UInt8(ascii: "0"), digits.count > 1 { digits.removeLast() }
    let sciExp = exp10 - 1
    var out = value.sign == .minus ? "-" : ""
    let ds = String(decoding: digits, as: UTF8.self)
    if sciExp >= -4 && sciExp < 16 {
        if exp10 <= 0 {
            out += "0." + String(repeating: "0", count: -exp10) + ds
        } else if exp10 >= digits.count {
            out += ds + String(repeating: "0", count: exp10 - digits.count) + ".0"
        } else {
            let i = ds.index(ds.startIndex, offsetBy: exp10)
            out += ds[..<i] + "." + ds[i...]
        }
    } else {
        let first = ds.prefix(1)
        let rest = ds.dropFirst()
        out += first + (rest.isEmpty ? "" : "." + rest)
        let e = abs(sciExp)
        out += (sciExp < 0 ? "e-" : "e+") + (e < 10 ? "0" : "") + String(e)
    }
    return out
}

private extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
