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

    /// How a text reader went on ASCII bytes: the result, or "not ASCII" (the `String`
    /// reader then decides, so that non-ASCII text is judged exactly as before).
    private enum ASCIIResult {
        case parsed([UInt8]?)
        case notASCII
    }

    /// Runs `parse` on the UTF-8 of `s` when it is contiguous ASCII.
    private static func ascii(_ s: Substring, _ parse: (UnsafeBufferPointer<UInt8>) -> [UInt8]?) -> ASCIIResult {
        let r = s.utf8.withContiguousStorageIfAvailable { b -> ASCIIResult in
            for c in b where c >= 0x80 { return .notASCII }
            return .parsed(parse(b))
        }
        return r ?? .notASCII
    }

    /// Parses dotted-quad IPv4 (four decimal octets, no leading `+`, at most 3 digits each).
    static func parseIP4(_ s: Substring) -> [UInt8]? {
        if case .parsed(let r) = ascii(s, { b in ip4(b, 0, b.count).map { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) } } }) {
            return r
        }
        return parseIP4Unicode(s)
    }

    /// `parseIP4` of a string's UTF-8 (valid UTF-8, as every `JSONTape` string is).
    static func parseIP4(utf8 b: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard b.allSatisfy({ $0 < 0x80 }) else {
            return parseIP4Unicode(Substring(String(decoding: b, as: UTF8.self)))
        }
        return ip4(b, 0, b.count).map { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) } }
    }

    /// `parseIP4` on ASCII bytes `b[lo..<hi]`: the address as a big-endian integer.
    private static func ip4(_ b: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int) -> UInt32? {
        var value: UInt32 = 0
        var parts = 0
        var i = lo
        while true {
            var j = i
            var v: UInt32 = 0
            while j < hi, b[j] != UInt8(ascii: ".") {
                guard b[j] >= 48, b[j] <= 57 else { return nil }
                v = v * 10 + UInt32(b[j] - 48)
                j += 1
                guard j - i <= 3 else { return nil }
            }
            guard j > i, v <= 255 else { return nil }
            value = value << 8 | v
            parts += 1
            if j == hi { break }
            guard parts < 4 else { return nil }
            i = j + 1
        }
        return parts == 4 ? value : nil
    }

    /// The `String` reader of `parseIP4`, for text that is not ASCII.
    private static func parseIP4Unicode(_ s: Substring) -> [UInt8]? {
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
        if case .parsed(let r) = ascii(s, ip6) { return r }
        return parseIP6Unicode(s)
    }

    /// `parseIP6` of a string's UTF-8 (valid UTF-8, as every `JSONTape` string is).
    static func parseIP6(utf8 b: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard b.allSatisfy({ $0 < 0x80 }) else {
            return parseIP6Unicode(Substring(String(decoding: b, as: UTF8.self)))
        }
        return ip6(b)
    }

    /// `parseIP6` on ASCII bytes, with the same rules and the same answers.
    private static func ip6(_ b: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let n = b.count
        guard n > 0, n <= 45 else { return nil }
        @inline(__always) func doubleColon(from i: Int) -> Int? {
            var k = i
            while k + 1 < n {
                if b[k] == UInt8(ascii: ":"), b[k + 1] == UInt8(ascii: ":") { return k }
                k += 1
            }
            return nil
        }
        var head = Groups(), tail = Groups()
        let compressed: Bool
        if let d = doubleColon(from: 0) {
            compressed = true
            if doubleColon(from: d + 2) != nil { return nil }
            guard groups(b, 0, d, allowIPv4Tail: d + 2 == n, into: &head),
                  groups(b, d + 2, n, allowIPv4Tail: true, into: &tail) else { return nil }
        } else {
            compressed = false
            guard groups(b, 0, n, allowIPv4Tail: true, into: &head) else { return nil }
        }
        let total = head.count + tail.count
        guard compressed ? total <= 7 : total == 8 else { return nil }
        var out = [UInt8](repeating: 0, count: 16)
        for k in 0..<head.count {
            out[2 * k] = UInt8(head[k] >> 8)
            out[2 * k + 1] = UInt8(head[k] & 0xFF)
        }
        for k in 0..<tail.count {
            let q = 8 - tail.count + k
            out[2 * q] = UInt8(tail[k] >> 8)
            out[2 * q + 1] = UInt8(tail[k] & 0xFF)
        }
        return out
    }

    /// Up to 8 quads (more never make an address, so reading stops there).
    private struct Groups {
        var quads: (UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0

        /// Adds a quad; false when there are already 8.
        mutating func add(_ q: UInt16) -> Bool {
            guard count < 8 else { return false }
            withUnsafeMutableBytes(of: &quads) { $0.storeBytes(of: q, toByteOffset: 2 * count, as: UInt16.self) }
            count += 1
            return true
        }

        subscript(i: Int) -> UInt16 {
            withUnsafeBytes(of: quads) { $0.load(fromByteOffset: 2 * i, as: UInt16.self) }
        }
    }

    /// `parseGroups` on ASCII bytes `b[lo..<hi]`: colon-separated quads, the last of which
    /// may be a dotted IPv4 address when `allowIPv4Tail`.
    private static func groups(_ b: UnsafeBufferPointer<UInt8>, _ lo: Int, _ hi: Int, allowIPv4Tail: Bool,
                               into g: inout Groups) -> Bool {
        if lo == hi { return true }
        var i = lo
        while true {
            var j = i
            var dot = false
            while j < hi, b[j] != UInt8(ascii: ":") {
                if b[j] == UInt8(ascii: ".") { dot = true }
                j += 1
            }
            let last = j == hi
            if last, allowIPv4Tail, dot {
                guard let v4 = ip4(b, i, j), g.add(UInt16(v4 >> 16)), g.add(UInt16(v4 & 0xFFFF)) else { return false }
            } else {
                guard j > i, j - i <= 4 else { return false }
                var v: UInt16 = 0
                for k in i..<j {
                    guard let h = hexValue(b[k]) else { return false }
                    v = v << 4 | UInt16(h)
                }
                guard g.add(v) else { return false }
            }
            if last { return true }
            i = j + 1
        }
    }

    /// The `String` reader of `parseIP6`, for text that is not ASCII.
    private static func parseIP6Unicode(_ s: Substring) -> [UInt8]? {
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
                guard let v4 = parseIP4Unicode(part) else { return nil }
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

    /// Parses a MAC as `aa:bb:cc:dd:ee:ff`, `aa-bb-cc-dd-ee-ff` or VPP's `aabb.ccdd.eeff`, from
    /// the text's UTF-8 bytes.
    static func parseMAC(utf8 u: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var mac: (UInt64, UInt64) = (0, 0) // 12 nibbles as they are read
        var nibbles = 0
        func take(_ c: UInt8) -> Bool {
            guard let h = hexValue(c) else { return false }
            withUnsafeMutableBytes(of: &mac) { $0[nibbles] = h }
            nibbles += 1
            return true
        }
        if u.count == 17 {
            for (i, c) in u.enumerated() {
                if i % 3 == 2 {
                    guard c == UInt8(ascii: ":") || c == UInt8(ascii: "-") else { return nil }
                } else {
                    guard take(c) else { return nil }
                }
            }
        } else if u.count == 14 {
            for (i, c) in u.enumerated() {
                if i % 5 == 4 {
                    guard c == UInt8(ascii: ".") else { return nil }
                } else {
                    guard take(c) else { return nil }
                }
            }
        } else {
            return nil
        }
        guard nibbles == 12 else { return nil }
        return withUnsafeBytes(of: &mac) { h in (0..<6).map { h[2 * $0] << 4 | h[2 * $0 + 1] } }
    }
}
