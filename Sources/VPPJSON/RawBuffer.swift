/// A growable buffer of plain values written through a pointer, for building tapes.
///
/// `Array.append` checks uniqueness and capacity through calls; reading JSON appends a run of
/// bytes per escaped string piece, where that overhead outweighed the copying. The contents
/// become an `Array` once, at the end. Only for trivial types (nothing is deinitialised).
/// Nothing is allocated until the first append.
struct RawBuffer<Element>: ~Copyable {
    private(set) var base: UnsafeMutablePointer<Element>?
    private var capacity = 0
    /// Elements written so far.
    private(set) var count = 0

    init() {}

    deinit {
        base?.deallocate()
    }

    /// The elements, as an array.
    var array: [Element] {
        guard let base else { return [] }
        return Array(UnsafeBufferPointer(start: base, count: count))
    }

    /// Room for `n` more elements; returns where they go.
    private mutating func reserve(_ n: Int) -> UnsafeMutablePointer<Element> {
        if let base, capacity - count >= n { return base + count }
        let newCapacity = max(2 * capacity, count + n, 64)
        let newBase = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        if let base {
            newBase.moveInitialize(from: base, count: count)
            base.deallocate()
        }
        base = newBase
        capacity = newCapacity
        return newBase + count
    }

    mutating func append(_ e: Element) {
        reserve(1).initialize(to: e)
        count += 1
    }

    mutating func append(_ u: UnsafeBufferPointer<Element>) {
        guard let src = u.baseAddress, !u.isEmpty else { return }
        reserve(u.count).initialize(from: src, count: u.count)
        count += u.count
    }

    /// The elements from `start` on (valid until the next append).
    func suffix(from start: Int) -> UnsafeBufferPointer<Element> {
        UnsafeBufferPointer(start: base.map { $0 + start }, count: count - start)
    }
}
