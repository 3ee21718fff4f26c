import Synchronization

/// Misbehaviour to inject into a running simulator: slow and lost replies.
///
/// Clients must survive a VPP whose main thread is busy (a long CLI command, a big dump) and
/// requests that never get an answer (a bad client_index, a handler that returns early), so
/// tests need to provoke both at will. Thread-safe; changes apply to replies produced after
/// the call returns. Keyed by message name: the request's (`show_version`) or the reply's
/// (`show_version_reply`) name both match.
public final class SimulatorFaults: Sendable {
    private struct State {
        var delayAll: Duration?
        var delays: [String: Duration] = [:]
        var drops: Set<String> = []
        var isEmpty: Bool { delayAll == nil && delays.isEmpty && drops.isEmpty }
    }

    private let state = Mutex(State())
    /// Fast path: the loop skips the lock while no fault is configured.
    private let active = Atomic<Bool>(false)

    init() {}

    /// Delays the replies (and details) to `request` by `duration`; nil = every message sent,
    /// events included. Replies to one client stay in order: later messages queue behind a
    /// delayed one, as they would behind a slow VPP handler, while other clients are served.
    public func delayReplies(to request: String? = nil, by duration: Duration) {
        update { s in
            if let request { s.delays[request] = duration } else { s.delayAll = duration }
        }
    }

    /// Never sends the replies (and details) to `request`, as VPP does when a handler returns
    /// before `REPLY_MACRO`.
    public func dropReplies(to request: String) {
        update { $0.drops.insert(request) }
    }

    /// Removes every delay and drop.
    public func clear() {
        update { $0 = State() }
    }

    private func update(_ body: (inout State) -> Void) {
        state.withLock { s in
            body(&s)
            active.store(!s.isEmpty, ordering: .releasing)
        }
    }

    /// What to do with a message answering `request` (named `message`).
    func decision(request: String, message: String) -> (drop: Bool, delay: Duration?) {
        guard active.load(ordering: .acquiring) else { return (false, nil) }
        return state.withLock { s in
            if s.drops.contains(request) || s.drops.contains(message) { return (true, nil) }
            return (false, s.delays[request] ?? s.delays[message] ?? s.delayAll)
        }
    }
}
