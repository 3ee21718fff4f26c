/// Byte-level building blocks of JSON text, shared by `JSONWriter` and the codec's decoder.
///
/// They work on raw pointers and are `@inlinable` so that the codec's hot loops (another
/// module) inline them: the point is that rendering a message costs a handful of
/// instructions per byte, not a function call and an array check per byte.
public enum JSONText {
    /// The lowercase hex digit of `d` (0...15), computed rather than looked up (a global
    /// table costs a lazy-initialisation check on every access).
    @inlinable @inline(__always)
    public static func hexDigit(_ d: UInt8) -> UInt8 {
        d < 10 ? d &+ 48 : d &+ 87
    }

    /// "00" to "ff": the two lowercase hex digits of every byte value.
    @inlinable @inline(__always)
    public static var hexPairs: UnsafePointer<UInt8> {
        ("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff" as StaticString)
            .utf8Start
    }

    /// True for the bytes a JSON string cannot carry as they are (`"`, `\`, controls), and
    /// for the bytes of multi-byte UTF-8, which must be validated first.
    @inlinable @inline(__always)
    public static func isSpecial(_ b: UInt8) -> Bool {
        b < 0x20 || b == 0x22 || b == 0x5C || b >= 0x80
    }

    /// Eight bytes at once: a high bit in the result marks a special byte. Only the lowest
    /// marked byte is guaranteed exact (a borrow can mark bytes above a real hit), which is
    /// all `firstSpecialByte` uses.
    @inlinable @inline(__always)
    static func specialMask(_ x: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let below20 = (x &- ones &* 0x20) & ~x
        let q = x ^ (ones &* 0x22)
        let quote = (q &- ones) & ~q
        let s = x ^ (ones &* 0x5C)
        let backslash = (s &- ones) & ~s
        return (below20 | quote | backslash | x) & (ones &* 0x80)
    }

    /// The index of the first special byte in `p[from..<to]`, or `to` when there is none.
    /// Tests sixteen bytes at a time (the eight-byte test on two lanes, which compiles to
    /// vector instructions), then finds the byte eight bytes at a time; never reads past
    /// `p + to`.
    @inlinable
    public static func firstSpecialByte(_ p: UnsafePointer<UInt8>, from: Int, to n: Int) -> Int {
        var i = from
        let raw = UnsafeRawPointer(p)
        while n - i >= 16 {
            let m = specialMask(raw.loadUnaligned(fromByteOffset: i, as: SIMD2<UInt64>.self))
            if m[0] | m[1] != 0 { break }
            i += 16
        }
        while n - i >= 8 {
            let x = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let m = specialMask(x)
            if m != 0 { return i + m.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < n {
            if isSpecial(p[i]) { return i }
            i += 1
        }
        return n
    }

    /// `specialMask` on two words at once (any byte order will do: only "is there one" is
    /// asked of it).
    @inlinable @inline(__always)
    static func specialMask(_ x: SIMD2<UInt64>) -> SIMD2<UInt64> {
        let ones = SIMD2<UInt64>(repeating: 0x0101_0101_0101_0101)
        let below20 = (x &- ones &* 0x20) & ~x
        let q = x ^ (ones &* 0x22)
        let quote = (q &- ones) & ~q
        let s = x ^ (ones &* 0x5C)
        let backslash = (s &- ones) & ~s
        return (below20 | quote | backslash | x) & (ones &* 0x80)
    }

    /// Writes the escape of a special ASCII byte (`\"`, `\\`, `\n`, `\u001f`…) at `p` and
    /// returns its length (at most 6).
    @inlinable
    public static func writeEscape(_ b: UInt8, to p: UnsafeMutablePointer<UInt8>) -> Int {
        p[0] = UInt8(ascii: "\\")
        switch b {
        case 0x22: p[1] = 0x22
        case 0x5C: p[1] = 0x5C
        case 0x0A: p[1] = UInt8(ascii: "n")
        case 0x0D: p[1] = UInt8(ascii: "r")
        case 0x09: p[1] = UInt8(ascii: "t")
        case 0x08: p[1] = UInt8(ascii: "b")
        case 0x0C: p[1] = UInt8(ascii: "f")
        default:
            p[1] = UInt8(ascii: "u")
            p[2] = UInt8(ascii: "0")
            p[3] = UInt8(ascii: "0")
            p[4] = hexDigit(b >> 4)
            p[5] = hexDigit(b & 0xF)
            return 6
        }
        return 2
    }

    /// The length of the well-formed UTF-8 sequence at `p[i]` (Unicode table 3-7: no
    /// overlong forms, no surrogates, nothing above U+10FFFF), or 0 when it is ill-formed or
    /// cut off by `count`. The same rule as `String(validating:as:)`.
    @inlinable
    public static func validUTF8SequenceLength(_ p: UnsafePointer<UInt8>, at i: Int, count n: Int) -> Int {
        let b0 = p[i]
        if b0 < 0x80 { return 1 }
        @inline(__always) func cont(_ k: Int) -> Bool { p[i + k] & 0xC0 == 0x80 }
        if b0 < 0xC2 { return 0 }
        if b0 < 0xE0 {
            return n - i >= 2 && cont(1) ? 2 : 0
        }
        if b0 < 0xF0 {
            guard n - i >= 3 else { return 0 }
            let b1 = p[i + 1]
            let lo: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80
            let hi: UInt8 = b0 == 0xED ? 0x9F : 0xBF
            return b1 >= lo && b1 <= hi && cont(2) ? 3 : 0
        }
        if b0 < 0xF5 {
            guard n - i >= 4 else { return 0 }
            let b1 = p[i + 1]
            let lo: UInt8 = b0 == 0xF0 ? 0x90 : 0x80
            let hi: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
            return b1 >= lo && b1 <= hi && cont(2) && cont(3) ? 4 : 0
        }
        return 0
    }

    /// "00" to "99", two digits per entry (a literal: no lazy global).
    @inlinable @inline(__always)
    static var digitPairs: UnsafePointer<UInt8> {
(
            "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899" as StaticString)
            .utf8Start
    }

    /// Writes `v` in decimal at `p` (at most 20 bytes) and returns the digit count.
    @inlinable @inline(__always)
    public static func writeDecimal(_ v: UInt64, to p: UnsafeMutablePointer<UInt8>) -> Int {
        if v < 10 {
            p.pointee = UInt8(truncatingIfNeeded: v) &+ 48
            return 1
        }
        let pairs = digitPairs
        if v < 100 {
            p[0] = pairs[2 * Int(v)]
            p[1] = pairs[2 * Int(v) + 1]
            return 2
        }
        let n = decimalDigitCount(v)
        var i = n
        var x = v
        while x >= 100 {
            let q = x / 100
            let r = 2 * Int(truncatingIfNeeded: x &- q &* 100)
            i -= 2
            p[i] = pairs[r]
            p[i + 1] = pairs[r + 1]
            x = q
        }
        if x >= 10 {
            p[0] = pairs[2 * Int(x)]
            p[1] = pairs[2 * Int(x) + 1]
        } else {
            p[0] = UInt8(truncatingIfNeeded: x) &+ 48
        }
        return n
    }

    /// The number of decimal digits of `v` (1...20).
    @inlinable @inline(__always)
    public static func decimalDigitCount(_ v: UInt64) -> Int {
        var n = 1
        var limit: UInt64 = 10
        while v >= limit {
            n += 1
            if n == 20 { break }
            limit &*= 10
        }
        return n
    }
}

extension JSONText {
    /// The length of the NUL-terminated string in the `limit` bytes at `p` (`limit` when
    /// there is no NUL). Reads eight bytes at a time, never past `p + limit`.
    @inlinable
    public static func stringLength(_ p: UnsafeRawPointer, limit n: Int) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        var i = 0
        while n - i >= 8 {
            let x = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let zero = (x &- ones) & ~x & (ones &* 0x80)
            if zero != 0 { return i + zero.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < n, p.load(fromByteOffset: i, as: UInt8.self) != 0 { i += 1 }
        return i
    }
}
