import VPPJSON

/// The decoder's output: a small scratch buffer written through a raw pointer, flushed into
/// the caller's byte array when full and at the end.
///
/// Appending to an `Array` byte by byte costs a uniqueness and a capacity check per byte;
/// here every write first reserves its upper bound (`reserve`), then stores through the
/// pointer. A reservation never exceeds `capacity` (callers split bigger writes), so after
/// `reserve(n)` the `n` bytes at `pos` are inside the scratch buffer.
struct OutputCursor: ~Copyable {
    /// Where flushed output goes: the caller's JSON text.
    var sink: [UInt8]
    let base: UnsafeMutablePointer<UInt8>
    let end: UnsafeMutablePointer<UInt8>
    var pos: UnsafeMutablePointer<UInt8>

    /// The largest single reservation: every fixed-size write (numbers, addresses, escapes)
    /// is far below it; variable-length writes go in pieces of at most this size.
    static let chunk = 256

    /// Wraps `count` bytes of scratch at `scratch`; `count` must be at least `chunk`.
    init(scratch: UnsafeMutablePointer<UInt8>, count: Int) {
        assert(count >= Self.chunk)
        sink = []
        base = scratch
        end = scratch + count
        pos = scratch
    }

    /// Runs `body` with a scratch buffer on the stack (1 KiB: the size the standard library
    /// allocates on the stack without asking the system how much stack is left).
    static func withScratch<R>(_ body: (UnsafeMutablePointer<UInt8>, Int) throws(CodecError) -> R) throws(CodecError) -> R {
        try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1024) { buffer throws(CodecError) -> R in
            if let b = buffer.baseAddress { return try body(b, buffer.count) }
            let heap = UnsafeMutablePointer<UInt8>.allocate(capacity: 1024)
            defer { heap.deallocate() }
            return try body(heap, 1024)
        }
    }

    /// Bytes written so far, flushed or not.
    var logicalCount: Int { sink.count + (pos - base) }

    /// Moves the scratch contents to `sink`.
    mutating func flush() {
        if pos > base {
            sink.append(contentsOf: UnsafeBufferPointer(start: base, count: pos - base))
            pos = base
        }
    }

    /// Makes room for `n` bytes (at most `chunk`) at `pos`.
    @inline(__always)
    mutating func reserve(_ n: Int) {
        assert(n <= end - base, "a reservation must fit the scratch buffer")
        if end - pos < n { flush() }
    }

    /// Forgets everything written after `mark` (a former `logicalCount`).
    mutating func rollback(to mark: Int) {
        if mark >= sink.count {
            pos = base + (mark - sink.count)
        } else {
            sink.removeSubrange(mark...)
            pos = base
        }
    }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        reserve(1)
        pos.pointee = b
        pos += 1
    }

    /// Two bytes, e.g. `",` + `"`, `"]"` + `","`.
    @inline(__always)
    mutating func bytes(_ a: UInt8, _ b: UInt8) {
        reserve(2)
        pos[0] = a
        pos[1] = b
        pos += 2
    }

    /// Copies `n` bytes (pre-rendered keys and names, runs of string bytes).
    @inline(__always)
    mutating func copy(_ p: UnsafePointer<UInt8>, _ n: Int) {
        if n <= Self.chunk {
            reserve(n)
            pos.update(from: p, count: n)
            pos += n
        } else {
            flush()
            sink.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        }
    }

    /// Copies the bytes of a `StaticString`.
    @inline(__always)
    mutating func copy(_ s: StaticString) {
        copy(s.utf8Start, s.utf8CodeUnitCount)
    }

    /// Writes a text form between quotes: `write` puts the text at the pointer it is given
    /// and returns where it ended (the address writers). The room is already reserved.
    @inline(__always)
    mutating func quoted(_ write: (UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>) {
        pos.pointee = UInt8(ascii: "\"")
        let end = write(pos + 1)
        end.pointee = UInt8(ascii: "\"")
        pos = end + 1
    }

    /// Copies a key of at most `keySlack` bytes from text padded by `keySlack` bytes, then
    /// leaves `valueRoom` bytes reserved for the value: one capacity check for both, and the
    /// copy is two unconditional 16-byte moves instead of a `memcpy` call.
    @inline(__always)
    mutating func key(_ p: UnsafePointer<UInt8>, _ n: Int) {
        if n <= Self.keySlack {
            reserve(Self.keySlack + Self.valueRoom)
            let src = UnsafeRawPointer(p)
            let dst = UnsafeMutableRawPointer(pos)
            dst.storeBytes(of: src.loadUnaligned(as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
            dst.storeBytes(of: src.loadUnaligned(fromByteOffset: 16, as: SIMD16<UInt8>.self), toByteOffset: 16,
                           as: SIMD16<UInt8>.self)
            pos += n
        } else {
            copy(p, n)
            reserve(Self.valueRoom)
        }
    }

    /// Copies a pre-rendered text of the program (an enum name): like `key`, two 16-byte
    /// moves when it is short, without reserving room for a value after it.
    @inline(__always)
    mutating func short(_ p: UnsafePointer<UInt8>, _ n: Int) {
        if n <= Self.keySlack {
            reserve(Self.keySlack)
            let src = UnsafeRawPointer(p)
            let dst = UnsafeMutableRawPointer(pos)
            dst.storeBytes(of: src.loadUnaligned(as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
            dst.storeBytes(of: src.loadUnaligned(fromByteOffset: 16, as: SIMD16<UInt8>.self), toByteOffset: 16,
                           as: SIMD16<UInt8>.self)
            pos += n
        } else {
            copy(p, n)
        }
    }

    /// Keys up to this long are copied in two 16-byte moves; the program's text ends with this
    /// many bytes of padding so that those reads stay inside it.
    static let keySlack = 32
    /// Room guaranteed after `key(_:_:)`: enough for any fixed-size value (a number, an
    /// address or prefix in quotes), which is then written without a capacity check.
    static let valueRoom = 48

    /// An unsigned integer in decimal, into room already reserved.
    @inline(__always)
    mutating func uintUnchecked(_ v: UInt64) {
        pos += JSONText.writeDecimal(v, to: pos)
    }

    /// A signed integer in decimal, into room already reserved.
    @inline(__always)
    mutating func intUnchecked(_ v: Int64) {
        if v < 0 {
            pos.pointee = UInt8(ascii: "-")
            pos += 1
        }
        pos += JSONText.writeDecimal(v.magnitude, to: pos)
    }

    /// An unsigned integer in decimal.
    @inline(__always)
    mutating func uint(_ v: UInt64) {
        reserve(20)
        pos += JSONText.writeDecimal(v, to: pos)
    }

    /// A signed integer in decimal.
    @inline(__always)
    mutating func int(_ v: Int64) {
        reserve(21)
        if v < 0 {
            pos.pointee = UInt8(ascii: "-")
            pos += 1
        }
        pos += JSONText.writeDecimal(v.magnitude, to: pos)
    }

    /// `"0x"` and lowercase hex of `n` bytes at `p`, in quotes.
    mutating func hexString(_ p: UnsafeRawPointer, _ n: Int) {
        copy("\"0x")
        var i = 0
        while i < n {
            let run = min(n - i, Self.chunk / 2)
            reserve(2 * run)
            let pairs = JSONText.hexPairs
            for j in 0..<run {
                let h = pairs + 2 * Int(p.load(fromByteOffset: i + j, as: UInt8.self))
                pos[2 * j] = h[0]
                pos[2 * j + 1] = h[1]
            }
            pos += 2 * run
            i += run
        }
        byte(UInt8(ascii: "\""))
    }

    /// A `string[n]` field: the bytes up to the first NUL, as a JSON string. One pass finds
    /// the end when nothing needs escaping (the usual case): a NUL is itself special.
    @inline(__always)
    mutating func fixedString(_ p: UnsafeRawPointer, _ n: Int) {
        let bytes = p.assumingMemoryBound(to: UInt8.self)
        let j = JSONText.firstSpecialByte(bytes, from: 0, to: n)
        if j == n || bytes[j] == 0 {
            reserve(2)
            pos.pointee = UInt8(ascii: "\"")
            pos += 1
            copy(bytes, j)
            byte(UInt8(ascii: "\""))
        } else {
            string(p, JSONText.stringLength(p, limit: n))
        }
    }

    /// Wire bytes as a JSON string: escaped, and with invalid UTF-8 replaced by U+FFFD
    /// exactly as `String(decoding:as:)` does (the slow path, taken only for such input).
    mutating func string(_ p: UnsafeRawPointer, _ n: Int) {
        let mark = logicalCount
        byte(UInt8(ascii: "\""))
        if !escape(p.assumingMemoryBound(to: UInt8.self), n) {
            rollback(to: mark)
            byte(UInt8(ascii: "\""))
            let repaired = String(decoding: UnsafeRawBufferPointer(start: p, count: n), as: UTF8.self)
            let utf8 = Array(repaired.utf8)
            utf8.withUnsafeBufferPointer { b in
                if let r = b.baseAddress {
                    let valid = escape(r, b.count)
                    assert(valid, "String(decoding:as:) yields valid UTF-8")
                }
            }
        }
        byte(UInt8(ascii: "\""))
    }

    /// Escapes `n` bytes of string content; false (output then incomplete) at the first
    /// invalid UTF-8 sequence.
    private mutating func escape(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var i = 0
        while i < n {
            let j = JSONText.firstSpecialByte(p, from: i, to: n)
            if j > i { copy(p + i, j - i) }
            if j == n { return true }
            let b = p[j]
            if b < 0x80 {
                reserve(6)
                pos += JSONText.writeEscape(b, to: pos)
                i = j + 1
            } else {
                let len = JSONText.validUTF8SequenceLength(p, at: j, count: n)
                if len == 0 { return false }
                copy(p + j, len)
                i = j + len
            }
        }
        return true
    }
}
