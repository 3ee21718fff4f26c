import Synchronization

/// One message as received from VPP: its id on this connection and its payload bytes
/// (starting with `_vl_msg_id`, without the 16-byte transport header).
public struct VPPRawMessage: Sendable {
    /// `_vl_msg_id` (per connection for all but memclnt).
    public let messageID: UInt16
    /// The payload.
    public let bytes: [UInt8]

    /// Wraps received bytes.
    public init(messageID: UInt16, bytes: [UInt8]) {
        self.messageID = messageID
        self.bytes = bytes
    }
}

/// Where a reply goes once it arrives.
enum PendingWaiter {
    /// A caller suspended in `call` / `sendRaw`.
    case call(UnsafeContinuation<Result<VPPRawMessage, VPPError>, Never>)
    /// A dump or get/stream page: details until the message with id `endID`.
    case stream(StreamRun)
    /// Internal requests answered on the reader thread (liveness pings, `sockclnt_delete`).
    case callback(@Sendable (Result<VPPRawMessage, VPPError>) -> Void)
}

/// The calls waiting for VPP, keyed by `context`.
///
/// VPP echoes `context` verbatim and never checks it (notes §1.4); replies of different
/// contexts may arrive in any order, so every incoming reply is matched here. The table is
/// a dictionary behind one `Mutex`: the reader thread removes an entry and resumes its
/// continuation outside the lock; callers insert before sending, so a reply can never
/// arrive before its entry exists.
///
/// Timeouts need no timer per call: every entry has a deadline, and `sweep` (run every
/// `sweepInterval` by the connection's maintenance task) fails the expired ones. It skips
/// the scan while the earliest known deadline is in the future, so in steady state it
/// costs one comparison per tick.
final class PendingCalls: Sendable {
    private struct Entry {
        var waiter: PendingWaiter
        var deadline: UInt64
        var name: String
        var timeout: Duration
    }

    private struct State {
        var entries: [UInt32: Entry] = [:]
        var earliest: UInt64 = .max
        var closedWith: VPPError?
    }

    private let state = Mutex(State())

    init() {}

    /// Number of calls in flight.
    var count: Int { state.withLock { $0.entries.count } }

    /// Registers a waiter; false when the connection is already closed (the waiter is not
    /// stored and the caller must fail it itself).
    func insert(_ context: UInt32, _ waiter: PendingWaiter, name: String, timeout: Duration) -> Bool {
        let deadline = Self.deadline(after: timeout)
        return state.withLock { s in
            if s.closedWith != nil { return false }
            s.entries[context] = Entry(waiter: waiter, deadline: deadline, name: name, timeout: timeout)
            if deadline < s.earliest { s.earliest = deadline }
            return true
        }
    }

    /// What a received message did.
    enum Delivery {
        /// No call waits for this context.
        case unmatched
        /// Handed over.
        case delivered
    }

    /// Hands a received message to the waiter of `context`. Called on the reader thread;
    /// copies the bytes only when somebody waits for them.
    func deliver(context: UInt32, messageID: UInt16, payload: UnsafeRawBufferPointer) -> Delivery {
        let waiter: PendingWaiter? = state.withLock { s in
            guard let entry = s.entries[context] else { return nil }
            switch entry.waiter {
            case .call, .callback:
                s.entries[context] = nil
            case .stream(let run):
                if messageID == run.endID { s.entries[context] = nil }
            }
            return entry.waiter
        }
        guard let waiter else { return .unmatched }
        let message = VPPRawMessage(messageID: messageID, bytes: Array(payload))
        switch waiter {
        case .call(let c):
            c.resume(returning: .success(message))
        case .callback(let f):
            f(.success(message))
        case .stream(let run):
            if !run.receive(message) {
                // The consumer is too far behind: the run failed itself; stop routing to it.
                _ = remove(context)
            }
        }
        return .delivered
    }

    /// Removes and fails the waiter of `context` (cancellation, send failure).
    func fail(_ context: UInt32, with error: VPPError) {
        if let waiter = remove(context) { Self.fail(waiter, error) }
    }

    /// Removes the waiter of `context` without resuming it.
    func remove(_ context: UInt32) -> PendingWaiter? {
        state.withLock { s in s.entries.removeValue(forKey: context)?.waiter }
    }

    /// Fails every waiter whose deadline has passed with `VPPError.timeout`.
    func sweep(now: UInt64) {
        let expired: [(PendingWaiter, String, Duration)] = state.withLock { s in
            guard now >= s.earliest else { return [] }
            var out: [(PendingWaiter, String, Duration)] = []
            var earliest = UInt64.max
            for (context, entry) in s.entries {
                var deadline = entry.deadline
                if case .stream(let run) = entry.waiter {
                    deadline = run.idleDeadline(timeout: entry.timeout)
                }
                if deadline <= now {
                    out.append((entry.waiter, entry.name, entry.timeout))
                    s.entries[context] = nil
                } else if deadline < earliest {
                    earliest = deadline
                }
            }
            s.earliest = earliest
            return out
        }
        for (waiter, name, timeout) in expired {
            Self.fail(waiter, .timeout(message: name, after: timeout))
        }
    }

    /// Fails every waiter at once and refuses new ones: the connection is gone.
    func closeAll(_ error: VPPError) {
        let all: [PendingWaiter] = state.withLock { s in
            if s.closedWith == nil { s.closedWith = error }
            let waiters = s.entries.values.map(\.waiter)
            s.entries = [:]
            return waiters
        }
        for w in all { Self.fail(w, error) }
    }

    private static func fail(_ waiter: PendingWaiter, _ error: VPPError) {
        switch waiter {
        case .call(let c): c.resume(returning: .failure(error))
        case .callback(let f): f(.failure(error))
        case .stream(let run): run.fail(error)
        }
    }

    /// `now + timeout` in `POSIX.now()` nanoseconds, saturating.
    static func deadline(after timeout: Duration) -> UInt64 {
        let (sum, overflow) = POSIX.now().addingReportingOverflow(timeout.nanoseconds)
        return overflow ? .max : sum
    }
}
