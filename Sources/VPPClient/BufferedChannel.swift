import Synchronization

/// A FIFO with a head index, so popping is O(1) without a dependency on swift-collections.
struct FIFO<Element> {
    private var items: ContiguousArray<Element?> = []
    private var head = 0

    /// Number of elements queued.
    var count: Int { items.count - head }
    /// True when nothing is queued.
    var isEmpty: Bool { head == items.count }

    /// Appends at the tail.
    mutating func append(_ e: Element) { items.append(e) }

    /// The element at the tail.
    var last: Element? {
        get { isEmpty ? nil : items[items.count - 1] }
        set { if !isEmpty { items[items.count - 1] = newValue } }
    }

    /// Removes and returns the head.
    mutating func popFirst() -> Element? {
        guard head < items.count else { return nil }
        let e = items[head]
        items[head] = nil
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: items.count <= 1024)
            head = 0
        } else if head >= 4096 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return e
    }

    /// Drops everything.
    mutating func removeAll() {
        items = []
        head = 0
    }
}

/// A single-consumer queue between the reader thread (producer, never blocks) and one
/// async consumer.
///
/// The producer decides the overflow policy (fail the stream, or drop and count) through
/// `produce`; the consumer awaits `next()`. Once finished, queued elements are still
/// delivered before the terminal result, unless the finish discards them.
final class BufferedChannel<Element: Sendable>: Sendable {
    struct State {
        var queue = FIFO<Element>()
        var waiter: UnsafeContinuation<Result<Element?, VPPError>, Never>?
        var terminal: Result<Void, VPPError>?
    }

    private let state = Mutex(State())

    init() {}

    /// Number of queued elements.
    var count: Int { state.withLock { $0.queue.count } }

    /// Lets the producer change the queue under the lock (append, coalesce, check the
    /// limit); wakes the consumer if something is available afterwards. Returns `body`'s
    /// result. Does nothing (and returns nil) once the channel is finished.
    func produce<R: Sendable>(_ body: @Sendable (inout FIFO<Element>) -> R) -> R? {
        var wake: (UnsafeContinuation<Result<Element?, VPPError>, Never>, Element)?
        let r: R? = state.withLock { s in
            guard s.terminal == nil else { return nil }
            let r = body(&s.queue)
            if let w = s.waiter, let e = s.queue.popFirst() {
                s.waiter = nil
                wake = (w, e)
            }
            return r
        }
        if let (w, e) = wake { w.resume(returning: .success(e)) }
        return r
    }

    /// Ends the channel: the consumer gets the queued elements, then nil (`error` nil) or
    /// the error. With `discard`, queued elements are dropped and the end comes at once.
    func finish(_ error: VPPError?, discard: Bool = false) {
        let waiter: UnsafeContinuation<Result<Element?, VPPError>, Never>? = state.withLock { s in
            guard s.terminal == nil else { return nil }
            s.terminal = error.map { .failure($0) } ?? .success(())
            if discard { s.queue.removeAll() }
            let w = s.waiter
            s.waiter = nil
            return w
        }
        if let waiter {
            // The queue was empty when the consumer started waiting (else it would not wait).
            waiter.resume(returning: error.map { .failure($0) } ?? .success(nil))
        }
    }

    /// True once `finish` was called.
    var isFinished: Bool { state.withLock { $0.terminal != nil } }

    private static func ready(_ s: inout State) -> Result<Element?, VPPError>? {
        if let e = s.queue.popFirst() { return .success(e) }
        switch s.terminal {
        case .none: return nil
        case .success: return .success(nil)
        case .failure(let e): return .failure(e)
        }
    }

    /// The next element, nil at the end, or the terminal error.
    func next() async -> Result<Element?, VPPError> {
        if let r = state.withLock({ Self.ready(&$0) }) { return r }
        return await withUnsafeContinuation { c in
            let r: Result<Element?, VPPError>? = state.withLock { s in
                if let r = Self.ready(&s) { return r }
                if let old = s.waiter {
                    // Only one consumer is supported; a second one ends the first.
                    old.resume(returning: .failure(.cancelled))
                }
                s.waiter = c
                return nil
            }
            if let r { c.resume(returning: r) }
        }
    }
}
