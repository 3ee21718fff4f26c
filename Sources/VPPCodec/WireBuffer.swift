/// The encoder's output: wire bytes in a buffer it owns, appended through a raw pointer.
///
/// An `Array` append checks uniqueness and capacity through a function call each time;
/// encoding writes a few bytes per field, so that check dominated. Here a write first makes
/// room (`ensure`), then stores; the bytes become an array once, at the end.
struct WireBuffer: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes written so far.
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        base.deallocate()
    }

    /// The bytes written, as an array.
    var bytes: [UInt8] {
        Array(UnsafeBufferPointer(start: base, count: count))
    }

    @inline(__always)
    private mutating func ensure(_ n: Int) {
        if capacity - count < n { grow(n) }
    }

    private mutating func grow(_ n: Int) {
        let newCapacity = max(2 * capacity, count + n)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.moveInitialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    @inline(__always)
    mutating func append(_ b: UInt8) {
        ensure(1)
        base[count] = b
        count += 1
    }

    /// `v` big-endian in `size` bytes (1, 2, 4 or 8).
    @inline(__always)
    mutating func appendBigEndian(_ v: UInt64, size: Int) {
        ensure(8)
        let p = UnsafeMutableRawPointer(base + count)
        switch size {
        case 1: p.storeBytes(of: UInt8(truncatingIfNeeded: v), as: UInt8.self)
        case 2: p.storeBytes(of: UInt16(truncatingIfNeeded: v).bigEndian, as: UInt16.self)
        case 4: p.storeBytes(of: UInt32(truncatingIfNeeded: v).bigEndian, as: UInt32.self)
        default: p.storeBytes(of: v.bigEndian, as: UInt64.self)
        }
        count += size
    }

    /// An f64 in host (little-endian) order, as VPP sends it.
    mutating func appendLittleEndian(_ d: Double) {
        ensure(8)
        UnsafeMutableRawPointer(base + count).storeBytes(of: d.bitPattern.littleEndian, as: UInt64.self)
        count += 8
    }

    mutating func append(contentsOf b: UnsafeRawBufferPointer) {
        guard let src = b.baseAddress, b.count > 0 else { return }
        ensure(b.count)
        UnsafeMutableRawPointer(base + count).copyMemory(from: src, byteCount: b.count)
        count += b.count
    }

    mutating func append(contentsOf b: [UInt8]) {
        b.withUnsafeBytes { append(contentsOf: $0) }
    }

    /// `n` zero bytes (nothing when `n` is not positive).
    mutating func zeros(_ n: Int) {
        guard n > 0 else { return }
        ensure(n)
        (base + count).initialize(repeating: 0, count: n)
        count += n
    }
}
