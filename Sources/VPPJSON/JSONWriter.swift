/// Appends JSON text straight into a byte buffer.
///
/// The decoder's hot path renders messages without building an intermediate tree: it
/// writes keys, numbers and strings here. Everything written is valid JSON: invalid UTF-8
/// coming off the wire becomes U+FFFD rather than breaking the document.
public struct JSONWriter: Sendable {
    /// The JSON text written so far.
    public var bytes: [UInt8]

    /// A writer with room reserved for `capacity` bytes.
    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends bytes that are already valid JSON (keys prepared in advance, punctuation).
    @inline(__always)
    public mutating func raw(_ b: UInt8) {
        bytes.append(b)
    }

    /// Appends pre-rendered JSON bytes.
    @inline(__always)
    public mutating func raw(_ b: [UInt8]) {
        bytes.append(contentsOf: b)
    }

    /// Appends pre-rendered JSON text.
    public mutating func raw(_ s: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// Writes an unsigned integer in decimal.
    @inline(__always)
    public mutating func uint(_ value: UInt64) {
        if value < 10 {
            bytes.append(UInt8(truncatingIfNeeded: value) &+ 48)
            return
        }
        var v = value
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0) // 24 bytes of scratch: u64 max has 20 digits
        let written = withUnsafeMutableBytes(of: &tmp) { scratch -> Int in
            var i = 24
            while v > 0 {
                i -= 1
                scratch[i] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
            }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[i..<24]))
            return 24 - i
        }
        _ = written
    }

    /// Writes a signed integer in decimal.
    @inline(__always)
    public mutating func int(_ value: Int64) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            uint(value.magnitude)
        } else {
            uint(UInt64(value))
        }
    }

    /// Writes a boolean.
    @inline(__always)
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

    /// Writes wire bytes as a JSON string. Invalid UTF-8 is replaced by U+FFFD so the
    /// output is always valid JSON; `validated` skips that check for known-good input.
    public mutating func stringBytes(_ buf: UnsafeRawBufferPointer, validated: Bool = false) {
        bytes.append(UInt8(ascii: "\""))
        var needsSlowPath = false
        for b in buf where b >= 0x80 || b < 0x20 || b == 0x22 || b == 0x5C {
            needsSlowPath = true
            break
        }
        if !needsSlowPath {
            bytes.append(contentsOf: buf)
        } else if validated || String(validating: buf, as: UTF8.self) != nil {
            escapeInto(buf)
        } else {
            let repaired = String(decoding: buf, as: UTF8.self)
            var utf8 = Array(repaired.utf8)
            utf8.withUnsafeMutableBytes { escapeInto(UnsafeRawBufferPointer($0)) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func escapeInto(_ buf: UnsafeRawBufferPointer) {
        for b in buf {
            switch b {
            case 0x22: raw("\\\"")
            case 0x5C: raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case 0..<0x20:
                raw("\\u00")
                bytes.append(hexDigits[Int(b >> 4)])
                bytes.append(hexDigits[Int(b & 0xF)])
            default:
                bytes.append(b)
            }
        }
    }

    /// Writes `"0x"` followed by lowercase hex of the bytes, VPP's form for u8 arrays.
    public mutating func hexString(_ buf: UnsafeRawBufferPointer) {
        raw("\"0x")
        for b in buf {
            bytes.append(hexDigits[Int(b >> 4)])
            bytes.append(hexDigits[Int(b & 0xF)])
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

/// Lowercase hex digits as ASCII bytes.
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
