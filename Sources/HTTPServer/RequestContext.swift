import Synchronization

/// The state of one request from its request line to its completion, shared by
/// libmicrohttpd's polling thread (the access and completed callbacks) and the
/// task that runs the handler.
///
/// libmicrohttpd holds one retain of it in the connection's request pointer
/// (taken in the URI-log callback, released in the completed callback).
///
/// Suspend/resume protocol (the compiler cannot check it):
/// - On the final access call the polling thread enters `handling` and calls
///   the handler. When it returns, the polling thread takes a response already
///   stored and queues it, or else sets `suspended` and calls
///   `MHD_suspend_connection` under the lock.
/// - The handler's answer (any thread, any time) stores the response and, only
///   if `suspended` is set, clears it under the lock and resumes outside it.
///   Forced shutdown does the same with a 503. Whoever clears the flag resumes;
///   nobody else does.
/// - libmicrohttpd then calls the access handler again, which queues the stored
///   response on the connection's own thread (queuing is only legal there).
final class RequestContext: Sendable {
    /// The request target exactly as received.
    let target: String
    private let state = Mutex(State())

    init(target: String) {
        self.target = target
    }

    /// The target without its query, for logs: a query may carry a token (`access_token`).
    var loggablePath: Substring {
        target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? Substring(target)
    }

    enum Phase: Equatable {
        /// Nothing seen but the request line (before the first access call).
        case new
        /// Headers seen; the body (if any) is arriving.
        case receivingBody
        /// The handler task runs (or ran); its response is awaited or stored.
        case handling
        /// A response was queued.
        case responded
        /// libmicrohttpd reported the request complete.
        case completed
    }

    struct Head {
        var method = ""
        var version = ""
        var headers: [(name: String, value: String)] = []
        var remoteAddress = ""
        var remotePort: UInt16 = 0
        var clientCertificateSubject: String?
    }

    private struct State {
        var phase = Phase.new
        var head = Head()
        var body: [UInt8] = []
        var bodyTooLarge = false
        var discardedBytes = 0
        var suspended = false
        var connection: ConnectionRef?
        var server: ServerCore?
        var result: HTTPResponse?
    }

    var phase: Phase { state.withLock { $0.phase } }

    /// Records the headers (first access call) and moves on to the body.
    func received(head: Head) {
        state.withLock { state in
            state.head = head
            state.phase = .receivingBody
        }
    }

    /// Marks that a response was queued by the polling thread.
    func markResponded() {
        state.withLock { $0.phase = .responded }
    }

    /// What to do with one piece of upload data.
    enum BodyVerdict { case stored, discarded, abort }

    /// Appends body bytes up to `limit`; past it, remembers that the body is too
    /// large and discards (a request without `Content-Length` cannot be answered
    /// before its body ends), and gives up on the connection once the client has
    /// sent as much again.
    func appendBody(_ bytes: UnsafeRawBufferPointer, limit: Int) -> BodyVerdict {
        state.withLock { state in
            if !state.bodyTooLarge && state.body.count + bytes.count <= limit {
                state.body.append(contentsOf: bytes)
                return .stored
            }
            if !state.bodyTooLarge {
                state.bodyTooLarge = true
                state.body = []
            }
            state.discardedBytes += bytes.count
            return state.discardedBytes > max(limit, 64 * 1024) ? .abort : .discarded
        }
    }

    var bodyTooLarge: Bool { state.withLock { $0.bodyTooLarge } }

    /// Moves to the handling phase and returns the request to hand the handler; called on
    /// the final access call. The connection is not suspended yet: the polling thread calls
    /// ``takeResultOrSuspend(connection:)`` once the handler returned, which queues an
    /// answer already given or suspends until one comes.
    func beginHandling(connection: ConnectionRef, server: ServerCore) -> HTTPRequest {
        state.withLock { state in
            state.phase = .handling
            state.connection = connection
            state.server = server
            let (path, query) = URIDecoding.parse(target: target)
            let body = state.body
            state.body = []
            return HTTPRequest(
                method: state.head.method, path: path, target: target, query: query,
                headers: state.head.headers, body: body,
                remoteAddress: state.head.remoteAddress, remotePort: state.head.remotePort,
                version: state.head.version, clientCertificateSubject: state.head.clientCertificateSubject)
        }
    }

    /// Stores the handler's response and resumes the connection if it waits for
    /// it. A response that arrives too late (the request was already answered by
    /// shutdown, or the connection is gone) is dropped; a dropped stream is
    /// closed so its producer stops.
    func complete(with response: HTTPResponse) {
        let (accepted, resume) = state.withLock { state -> (Bool, PendingResume?) in
            guard state.phase == .handling, state.result == nil else { return (false, nil) }
            state.result = response
            return (true, takeResume(&state))
        }
        if !accepted, case .stream(let source) = response.body { source.core.close() }
        resume?.perform()
    }

    /// Shutdown's last resort: answer 503 now if the handler has not answered,
    /// and resume the connection if it is suspended.
    func forceResponse(_ response: HTTPResponse) {
        let resume = state.withLock { state -> PendingResume? in
            if state.phase == .handling && state.result == nil { state.result = response }
            return takeResume(&state)
        }
        resume?.perform()
    }

    /// Takes the stored response (right after the handler returned, or on the
    /// access call after a resume). If there is none yet, suspends the connection
    /// and returns `nil`.
    func takeResultOrSuspend(connection: ConnectionRef) -> HTTPResponse? {
        state.withLock { state in
            if let result = state.result {
                state.result = nil
                state.phase = .responded
                return result
            }
            state.suspended = true
            MHDBridge.suspend(connection)
            return nil
        }
    }

    /// The completed callback: no more calls for this request will come. A
    /// stored but never queued stream (daemon stopped first) is closed.
    func markCompleted() {
        let leftover = state.withLock { state -> HTTPResponse? in
            state.phase = .completed
            state.suspended = false
            state.connection = nil
            state.server = nil
            let leftover = state.result
            state.result = nil
            return leftover
        }
        if let leftover, case .stream(let source) = leftover.body { source.core.close() }
    }

    private func takeResume(_ state: inout State) -> PendingResume? {
        guard state.suspended, let connection = state.connection, let server = state.server else { return nil }
        state.suspended = false
        server.resumeStarted()
        return PendingResume(connection: connection, server: server)
    }
}

/// The right to resume one suspended connection, claimed under its owner's
/// lock (the owner cleared its `suspended` flag and the server counted it) and
/// carried out after the lock is released.
struct PendingResume: Sendable {
    let connection: ConnectionRef
    let server: ServerCore

    func perform() {
        MHDBridge.resume(connection)
        server.resumeFinished()
    }
}
