import VPPJSON

/// Text forms of VPP's address types, as VPP's JSON code writes them
/// (src/vlibapi/jsonformat.c, src/vnet/ip/ip_format_fns.h), and lenient readers for them.
enum AddressText {
    /// `a.b.c.d` of the 4 bytes at `a`, written at `q` (at most 15 bytes); returns the end.
    static func writeIP4(_ a: UnsafeRawPointer, to q: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var q = q
        for i in 0..<4 {
            if i > 0 {
                q.pointee = UInt8(ascii: ".")
                q += 1
            }
            q += JSONText.writeDecimal(UInt64(a.load(fromByteOffset: i, as: UInt8.self)), to: q)
        }
        return q
    }

    /// VPP's `format_ip6_address` of the 16 bytes at `a`: lowercase quads without leading
    /// zeros, the longest run of two or more zero quads (the first on a tie) as `::`, and
    /// never a dotted IPv4 tail. Written at `q` (at most 39 bytes); returns the end.
    static func writeIP6(_ a: UnsafeRawPointer, to q: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        @inline(__always) func quad(_ i: Int) -> UInt16 {
            UInt16(a.load(fromByteOffset: 2 * i, as: UInt8.self)) << 8 | UInt16(a.load(fromByteOffset: 2 * i + 1, as: UInt8.self))
        }
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if quad(i) == 0 {
                var j = i
                while j < 8, quad(j) == 0 { j += 1 }
                if j - i > bestLen, j - i >= 2 { bestStart = i; bestLen = j - i }
                i = j
            } else {
                i += 1
            }
        }
        var q = q
        i = 0
        while i < 8 {
            if i == bestStart {
                q[0] = UInt8(ascii: ":")
                q[1] = UInt8(ascii: ":")
                q += 2
                i += bestLen
                continue
            }
            if i > 0, i != bestStart + bestLen || bestStart < 0 {
                q.pointee = UInt8(ascii: ":")
                q += 1
            }
            q = writeHexQuad(quad(i), to: q)
            i += 1
        }
        return q
    }

    /// A quad in lowercase hex without leading zeros (at least one digit).
    @inline(__always)
    private static func writeHexQuad(_ v: UInt16, to q: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let digits = v == 0 ? 1 : (19 - v.leadingZeroBitCount) / 4
        for k in 0..<digits {
            q[k] = JSONText.hexDigit(UInt8(truncatingIfNeeded: v >> UInt16(4 * (digits - 1 - k))) & 0xF)
        }
        return q + digits
    }

    /// `aa:bb:cc:dd:ee:ff` of the 6 bytes at `a`, written at `q` (17 bytes); returns the end.
    static func writeMAC(_ a: UnsafeRawPointer, to q: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let pairs = JSONText.hexPairs
        for i in 0..<6 {
            let h = pairs + 2 * Int(a.load(fromByteOffset: i, as: UInt8.self))
            q[3 * i] = h[0]
            q[3 * i + 1] = h[1]
            if i < 5 { q[3 * i + 2] = UInt8(ascii: ":") }
        }
        return q + 17
    }

    /// An `address` (u8 af + 16-byte union) at `a`: IPv4 for af 0, IPv6 for af 1, else
    /// `unknown-af`. At most 39 bytes; returns the end.
    static func writeAddress(_ a: UnsafeRawPointer, to q: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        switch a.load(as: UInt8.self) {
        case 0: return writeIP4(a + 1, to: q)
        case 1: return writeIP6(a + 1, to: q)
        default:
            let s: StaticString = "unknown-af"
            q.update(from: s.utf8Start, count: s.utf8CodeUnitCount)
            return q + s.utf8CodeUnitCount
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
