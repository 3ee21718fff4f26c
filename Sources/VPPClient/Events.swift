import Synchronization
import VPPCodec

/// One item of an event subscription.
public enum VPPEvent: Sendable {
    /// An event message from VPP, decoded.
    case message(DecodedMessage)
    /// This many events were dropped here because the subscriber fell behind its buffer.
    /// Anything derived from the events (interface state, …) must be re-read from VPP.
    case overflow(dropped: Int)
}

/// A subscription to one event message (e.g. `sw_interface_event`), by name.
///
/// Events are messages without a `context` (notes §1.8); the reader thread decodes each
/// once and appends it to every subscriber's bounded buffer without ever blocking. A
/// subscriber that falls behind loses the newest events; the gap is marked in place by one
/// `.overflow(dropped:)` item and counted in `droppedCount`.
///
/// Subscriptions are by name, so they survive reconnects (ids change, names do not), but
/// VPP forgets its `want_*` registrations when it restarts: watch
/// `VPPClient.stateChanges()` and register again on `.connected`. Iteration ends when the
/// subscription is cancelled or the client shuts down; dropping the subscription object
/// (and its iterators) unsubscribes.
public final class VPPEventSubscription: AsyncSequence, Sendable {
    /// Each item is an event or an overflow marker.
    public typealias Element = VPPEvent
    /// Subscriptions never fail: they end (shutdown, cancel) or mark gaps.
    public typealias Failure = Never

    /// The event message name.
    public let name: String
    /// Buffer capacity in events.
    public let bufferSize: Int
    let channel = BufferedChannel<VPPEvent>()
    private let dropped = Atomic<Int>(0)
    private let delivered = Atomic<Int>(0)
    private let hub: EventHub
    let id: Int

    init(name: String, bufferSize: Int, hub: EventHub, id: Int) {
        self.name = name
        self.bufferSize = Swift.max(1, bufferSize)
        self.hub = hub
        self.id = id
    }

    deinit { hub.remove(self) }

    /// Events dropped so far because this subscriber was too slow.
    public var droppedCount: Int { dropped.load(ordering: .relaxed) }
    /// Events buffered for this subscriber so far.
    public var deliveredCount: Int { delivered.load(ordering: .relaxed) }
    /// Events waiting to be consumed.
    public var bufferedCount: Int { channel.count }

    /// Stops the subscription: iteration ends after the buffered events.
    public func cancel() {
        hub.remove(self)
        channel.finish(nil)
    }

    /// Appends one event (reader thread). Never blocks; drops and counts when full.
    func offer(_ message: DecodedMessage) {
        let accepted = channel.produce { q -> Bool in
            var events = q.count
            if case .overflow = q.last { events -= 1 }
            if events < bufferSize {
                q.append(.message(message))
                return true
            }
            if case .overflow(let n) = q.last {
                q.last = .overflow(dropped: n + 1)
            } else {
                q.append(.overflow(dropped: 1))
            }
            return false
        }
        if accepted == true {
            delivered.add(1, ordering: .relaxed)
        } else if accepted == false {
            dropped.add(1, ordering: .relaxed)
        }
    }

    /// Iterates the events.
    public func makeAsyncIterator() -> Iterator { Iterator(subscription: self) }

    /// The iterator; it keeps the subscription alive while iterating.
    public struct Iterator: AsyncIteratorProtocol {
        let subscription: VPPEventSubscription

        /// The next event, nil when the subscription ended (cancelled, shutdown, or the
        /// iterating task was cancelled).
        nonisolated(nonsending) public mutating func next() async -> VPPEvent? {
            let channel = subscription.channel
            let r = await withTaskCancellationHandler {
                await channel.next()
            } onCancel: {
                channel.finish(.cancelled, discard: true)
            }
            switch r {
            case .success(let e): return e
            case .failure: return nil
            }
        }

        /// The next event (isolation-preserving form used by `for await`).
        public mutating func next(isolation actor: isolated (any Actor)?) async -> VPPEvent? {
            await next()
        }
    }
}

/// Routes events to subscribers by message name.
final class EventHub: Sendable {
    private struct Weak: @unchecked Sendable {
        weak var subscription: VPPEventSubscription?
        let id: Int
    }

    private struct State {
        var byName: [String: [Weak]] = [:]
        var nextID = 0
        var finished = false
    }

    private let state = Mutex(State())

    init() {}

    /// A new subscription to `name`.
    func subscribe(_ name: String, bufferSize: Int) -> VPPEventSubscription {
        state.withLock { s -> VPPEventSubscription in
            s.nextID += 1
            let sub = VPPEventSubscription(name: name, bufferSize: bufferSize, hub: self, id: s.nextID)
            if s.finished {
                sub.channel.finish(nil)
            } else {
                s.byName[name, default: []].append(Weak(subscription: sub, id: sub.id))
            }
            return sub
        }
    }

    /// Forgets a subscription.
    func remove(_ sub: VPPEventSubscription) {
        let id = sub.id
        let name = sub.name
        state.withLock { s in
            s.byName[name]?.removeAll { $0.id == id || $0.subscription == nil }
            if s.byName[name]?.isEmpty == true { s.byName[name] = nil }
        }
    }

    /// True when someone listens to `name` (checked before decoding anything).
    func hasSubscribers(_ name: String) -> Bool {
        state.withLock { $0.byName[name] != nil }
    }

    /// Subscriber count per event name (for metrics).
    var subscriberCounts: [String: Int] {
        state.withLock { s in s.byName.mapValues(\.count) }
    }

    /// Hands a decoded event to every subscriber of its name.
    func dispatch(_ name: String, _ message: DecodedMessage) {
        let subs = state.withLock { $0.byName[name] ?? [] }
        for w in subs { w.subscription?.offer(message) }
    }

    /// Ends every subscription (client shutdown).
    func finishAll() {
        let all = state.withLock { s -> [Weak] in
            s.finished = true
            let all = s.byName.values.flatMap { $0 }
            s.byName = [:]
            return all
        }
        for w in all { w.subscription?.channel.finish(nil) }
    }
}
