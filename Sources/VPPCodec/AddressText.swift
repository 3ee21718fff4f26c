import VPPJSON

/// Text forms of VPP's address types, as VPP's JSON code writes them
/// (src/vlibapi/jsonformat.c, src/vnet/ip/ip_format_fns.h), and lenient readers for them.
enum AddressText {
    /// `a.b.c.d`.
    static func writeIP4(_ p: UnsafeRawBufferPointer, at o: Int, into w: inout JSONWriter) {
        for i in 0..<4 {
            if i > 0 { w.raw(UInt8(ascii: ".")) }
            w.uint(UInt64(p[o + i]))
        }
    }

    /// VPP's `format_ip6_address`: lowercase quads without leading zeros, the longest run of
    /// two or more zero quads (the first on a tie) as `::`, and never a dotted IPv4 tail.
    static func writeIP6(_ p: UnsafeRawBufferPointer, at o: Int, into w: inout JSONWriter) {
        var quads = [UInt16](repeating: 0, count: 8)
        for i in 0..<8 { quads[i] = UInt16(p[o + 2 * i]) << 8 | UInt16(p[o + 2 * i + 1]) }
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if quads[i] == 0 {
                var j = i
                while j < 8, quads[j] == 0 { j += 1 }
                if j - i > bestLen, j - i >= 2 { bestStart = i; bestLen = j - i }
                i = j
            } else {
                i += 1
            }
        }
        i = 0
        while i < 8 {
            if i == bestStart {
                w.raw("::")
                i += bestLen
                continue
            }
            if i > 0, i != bestStart + bestLen || bestStart < 0 { w.raw(UInt8(ascii: ":")) }
            writeHexQuad(quads[i], into: &w)
            i += 1
        }
    }

    private static func writeHexQuad(_ q: UInt16, into w: inout JSONWriter) {
        var started = false
        for shift in stride(from: 12, through: 0, by: -4) {
            let d = Int((q >> UInt16(shift)) & 0xF)
            if d != 0 || started || shift == 0 {
                w.raw(hexDigits[d])
                started = true
            }
        }
    }

    /// `aa:bb:cc:dd:ee:ff`.
    static func writeMAC(_ p: UnsafeRawBufferPointer, at o: Int, into w: inout JSONWriter) {
        for i in 0..<6 {
            if i > 0 { w.raw(UInt8(ascii: ":")) }
            w.raw(hexDigits[Int(p[o + i] >> 4)])
            w.raw(hexDigits[Int(p[o + i] & 0xF)])
        }
    }

    /// Parses dotted-quad IPv4 (four decimal octets, no leading `+`, at most 3 digits each).
    static func parseIP4(_ s: Substring) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  let v = UInt8(part) else { return nil }
            out.append(v)
        }
        return out
    }

    /// Parses IPv6 text (RFC 4291 §2.2: `::` compression, optional dotted IPv4 tail).
    static func parseIP6(_ s: Substring) -> [UInt8]? {
        guard !s.isEmpty, s.count <= 45 else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawDoubleColon = false
        let pieces: [Substring]
        if let r = s.range(of: "::") {
            sawDoubleColon = true
            let left = s[s.startIndex..<r.lowerBound]
            let right = s[r.upperBound...]
            if right.contains("::") { return nil }
            guard let l = parseGroups(left, allowIPv4Tail: right.isEmpty), let rr = parseGroups(right, allowIPv4Tail: true) else { return nil }
            head = l
            tail = rr
            pieces = []
        } else {
            pieces = [s]
            guard let all = parseGroups(s, allowIPv4Tail: true) else { return nil }
            head = all
        }
        _ = pieces
        let total = head.count + tail.count
        if sawDoubleColon {
            guard total <= 7 else { return nil }
        } else {
            guard total == 8 else { return nil }
        }
        let quads = head + [UInt16](repeating: 0, count: 8 - total) + tail
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for q in quads {
            out.append(UInt8(q >> 8))
            out.append(UInt8(q & 0xFF))
        }
        return out
    }

    private static func parseGroups(_ s: Substring, allowIPv4Tail: Bool) -> [UInt16]? {
        if s.isEmpty { return [] }
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        var out: [UInt16] = []
        for (i, part) in parts.enumerated() {
            if i == parts.count - 1, allowIPv4Tail, part.contains(".") {
                guard let v4 = parseIP4(part) else { return nil }
                out.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                out.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                continue
            }
            guard !part.isEmpty, part.count <= 4, part.utf8.allSatisfy({ hexValue($0) != nil }),
                  let v = UInt16(part, radix: 16) else { return nil }
            out.append(v)
        }
        return out
    }

    /// Parses a MAC as `aa:bb:cc:dd:ee:ff`, `aa-bb-cc-dd-ee-ff` or VPP's `aabb.ccdd.eeff`.
    static func parseMAC(_ s: Substring) -> [UInt8]? {
        var hex: [UInt8] = []
        let seps: Set<UInt8> = [UInt8(ascii: ":"), UInt8(ascii: "-"), UInt8(ascii: ".")]
        let u = Array(s.utf8)
        if u.count == 17 {
            for (i, c) in u.enumerated() {
                if i % 3 == 2 {
                    guard c == UInt8(ascii: ":") || c == UInt8(ascii: "-") else { return nil }
                } else {
                    guard let h = hexValue(c) else { return nil }
                    hex.append(h)
                }
            }
        } else if u.count == 14 {
            for (i, c) in u.enumerated() {
                if i % 5 == 4 {
                    guard c == UInt8(ascii: ".") else { return nil }
                } else {
                    guard let h = hexValue(c) else { return nil }
                    hex.append(h)
                }
            }
        } else {
            _ = seps
            return nil
        }
        guard hex.count == 12 else { return nil }
        return (0..<6).map { hex[2 * $0] << 4 | hex[2 * $0 + 1] }
    }
}
