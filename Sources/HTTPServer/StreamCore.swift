import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The bounded byte queue behind one streamed response, shared by the producer
/// (``HTTPStreamWriter``, any task) and libmicrohttpd's content reader (its
/// polling thread).
///
/// The suspend/resume protocol, which the compiler cannot check:
/// - The reader, finding the queue empty, sets `suspended` and calls
///   `MHD_suspend_connection` *while holding the lock*, then returns 0.
/// - A producer that adds bytes (or finishes, or shutdown that aborts) clears
///   `suspended` under the lock and only then, outside the lock, resumes the
///   connection. So a connection is resumed only after it really was suspended,
///   exactly once per suspension, and never while it runs (which would be UB).
/// - A suspended connection is never freed by libmicrohttpd, so the connection
///   pointer stays valid from the flag flip until the resume call; the server
///   counts such pending resumes and waits for them before `MHD_stop_daemon`.
/// - `close()` runs from the response's free callback: after it, libmicrohttpd
///   never calls the reader again and the connection pointer is dropped.
///
/// Direct sends (``SocketFlusher``): a stream whose body ends with the connection, on a
/// connection without TLS, knows its socket. Bytes written while it is suspended are not a
/// reason to resume it: the flusher sends them itself while the connection stays suspended —
/// libmicrohttpd neither writes to nor closes a suspended connection, and it calls the reader
/// (and so suspends) only once everything it was given has been sent, so the bytes stay in
/// order. The send runs outside the lock; meanwhile `sending` holds back any resume, which the
/// flusher performs when the send returns. What the socket does not take stays queued and the
/// connection is resumed, so libmicrohttpd's reader returns it next.
final class StreamCore: Sendable {
    let highWaterMark: Int
    private let state = Mutex(State())

    /// The largest piece libmicrohttpd asks the reader for at once; it allocates (and zeroes)
    /// a buffer of this size per response, so it is a per-stream memory cost.
    let blockSize: Int
    /// The body ends when the connection closes (no chunked framing); see
    /// ``HTTPStreamSource/init(highWaterMark:blockSize:endsWithConnection:)``.
    let endsWithConnection: Bool
    /// This stream's ``SocketFlusher`` lane (round-robin over all streams).
    let lane: Int

    private static let lanes = Atomic<Int>(0)

    init(highWaterMark: Int, blockSize: Int = 8 * 1024, endsWithConnection: Bool = false) {
        self.blockSize = blockSize
        self.highWaterMark = highWaterMark
        self.endsWithConnection = endsWithConnection
        self.lane = Self.lanes.wrappingAdd(1, ordering: .relaxed).oldValue & Int.max
    }

    private struct State {
        var chunks: [[UInt8]] = []
        var head = 0
        var headOffset = 0
        var queuedBytes = 0
        var peakQueuedBytes = 0
        var backpressureWaits = 0
        /// `finish()` was called: end the body once the queue drains.
        var finished = false
        /// Writes are accepted (not finished, closed or shutting down).
        var writable = true
        /// The response was released by libmicrohttpd (or never sent).
        var closed = false
        /// `closed`, and the close handlers have run: `closed()` waits for this.
        var closeHandlersDone = false
        /// End the body with an error at once (forced shutdown).
        var aborted = false
        var suspended = false
        var connection: ConnectionRef?
        var server: ServerCore?
        /// The connection's socket when the flusher may send to it directly, else -1.
        var socket: Int32 = -1
        /// The stream waits in its flusher lane (so one flush serves many writes).
        var flushScheduled = false
        /// The flusher is sending (without the lock): the connection must stay suspended.
        var sending = false
        /// A resume claimed while `sending`; the flusher performs it when its send returns.
        var resumeDeferred = false
        /// Bytes sent by the flusher rather than libmicrohttpd (tests check the path).
        var directBytes = 0
        var nextID: UInt64 = 0
        var cancelled: Set<UInt64> = []
        var spaceWaiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        var closeWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var closeHandlers: [@Sendable () -> Void] = []

        mutating func append(_ bytes: [UInt8]) -> Wakeup? {
            guard !bytes.isEmpty else { return nil }
            chunks.append(bytes)
            queuedBytes += bytes.count
            peakQueuedBytes = max(peakQueuedBytes, queuedBytes)
            if suspended, socket >= 0, let flusher = server?.flusher {
                if flushScheduled { return nil }
                flushScheduled = true
                return .flush(flusher)
            }
            return takeResume().map(Wakeup.resume)
        }

        /// Claims the single resume of a suspended connection (see type comment). While the
        /// flusher sends, the resume waits for it (libmicrohttpd could otherwise write to or
        /// close the socket under the send); it still counts as pending for shutdown.
        mutating func takeResume() -> PendingResume? {
            guard suspended, let connection, let server else { return nil }
            suspended = false
            server.resumeStarted()
            if sending {
                resumeDeferred = true
                return nil
            }
            return PendingResume(connection: connection, server: server)
        }

        mutating func takeSpaceWaiters() -> [CheckedContinuation<Void, any Error>] {
            guard !spaceWaiters.isEmpty else { return [] }
            defer { spaceWaiters.removeAll() }
            return Array(spaceWaiters.values)
        }

        /// Copies queued bytes into `buffer`, keeping the offset into a chunk
        /// that did not fit.
        mutating func take(into buffer: UnsafeMutableRawBufferPointer) -> Int {
            var written = 0
            while written < buffer.count, head < chunks.count {
                let count = min(chunks[head].count - headOffset, buffer.count - written)
                chunks[head].withUnsafeBytes { source in
                    let from = UnsafeRawBufferPointer(rebasing: source[headOffset..<(headOffset + count)])
                    UnsafeMutableRawBufferPointer(rebasing: buffer[written..<(written + count)]).copyMemory(from: from)
                }
                written += count
                consumeHead(count)
            }
            compact()
            return written
        }

        /// The queued bytes as one buffer (usually the single queued chunk, shared).
        func queuedBytesInOrder() -> [UInt8] {
            if head == chunks.count - 1 && headOffset == 0 { return chunks[head] }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(queuedBytes)
            for k in head..<chunks.count {
                bytes += k == head ? chunks[k][headOffset...] : chunks[k][...]
            }
            return bytes
        }

        /// Drops `count` bytes (sent by the flusher) from the front of the queue.
        mutating func consume(_ count: Int) {
            var left = count
            while left > 0, head < chunks.count {
                let step = min(left, chunks[head].count - headOffset)
                consumeHead(step)
                left -= step
            }
            directBytes += count
            compact()
        }

        /// Drops `count` bytes from the front of the head chunk (all of it or less).
        private mutating func consumeHead(_ count: Int) {
            queuedBytes -= count
            headOffset += count
            if headOffset == chunks[head].count {
                chunks[head] = []
                head += 1
                headOffset = 0
            }
        }

        /// Forgets chunks already taken, now and then, so the array does not grow.
        private mutating func compact() {
            if head == chunks.count {
                chunks.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 64 && head * 2 >= chunks.count {
                chunks.removeFirst(head)
                head = 0
            }
        }
    }

    /// What a producer does, outside the lock, after queueing bytes for a suspended stream.
    enum Wakeup {
        /// libmicrohttpd sends them: resume the connection.
        case resume(PendingResume)
        /// The flusher sends them (the stream was not scheduled yet).
        case flush(SocketFlusher)
    }

    /// What one direct send did.
    enum SendOutcome {
        /// Everything given went out.
        case sent
        /// The socket's buffer is full; the rest is still queued.
        case full
        /// The connection is broken (peer gone, reset).
        case failed
    }

    /// Sends `bytes` without blocking: how many went out, and why it stopped.
    private static func sendNow(_ bytes: [UInt8], to socket: Int32) -> (count: Int, outcome: SendOutcome) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return send(socket, base + sent, raw.count - sent, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
            }
            if n < 0 {
                let error = errno
                if error == EINTR { continue }
                return (sent, error == EAGAIN || error == EWOULDBLOCK ? .full : .failed)
            }
            if n == 0 { return (sent, .full) }
            sent += n
        }
        return (sent, .sent)
    }

    private func perform(_ wakeup: Wakeup?) {
        switch wakeup {
        case .resume(let resume): resume.perform()
        case .flush(let flusher): flusher.schedule(self)
        case nil: break
        }
    }

    // MARK: producer side (any task)

    func write(_ bytes: [UInt8]) async throws {
        while true {
            let outcome: WriteOutcome = state.withLock { state in
                guard state.writable else { return .closed }
                if state.queuedBytes > highWaterMark { return .wait }
                return .appended(state.append(bytes))
            }
            switch outcome {
            case .closed: throw HTTPStreamError.closed
            case .appended(let wakeup):
                perform(wakeup)
                return
            case .wait:
                try await waitForSpace()
            }
        }
    }

    private enum WriteOutcome {
        case closed, wait, appended(Wakeup?)
    }

    func tryWrite(_ bytes: [UInt8]) -> Bool {
        let outcome: (Bool, Wakeup?) = state.withLock { state in
            guard state.writable else { return (false, nil) }
            if state.queuedBytes > 0 && state.queuedBytes + bytes.count > highWaterMark { return (false, nil) }
            return (true, state.append(bytes))
        }
        perform(outcome.1)
        return outcome.0
    }

    func finish() {
        end(aborting: false)
    }

    /// Ends the body on shutdown: with `aborting`, at once and with an error
    /// (queued bytes are dropped); otherwise after the queue drains.
    func end(aborting: Bool) {
        let (waiters, resume) = state.withLock { state in
            state.finished = true
            state.writable = false
            if aborting { state.aborted = true }
            return (state.takeSpaceWaiters(), state.takeResume())
        }
        for waiter in waiters { waiter.resume(throwing: HTTPStreamError.closed) }
        resume?.perform()
    }

    var isClosed: Bool { state.withLock { $0.closed } }
    /// Bytes the flusher sent straight to the socket.
    var directBytes: Int { state.withLock { $0.directBytes } }
    /// Whether the connection waits, suspended, for more to send (tests wait for this).
    var isSuspendedForTesting: Bool { state.withLock { $0.suspended } }
    var queuedBytes: Int { state.withLock { $0.queuedBytes } }
    /// The most bytes ever queued at once (tests check the backpressure bound).
    var peakQueuedBytes: Int { state.withLock { $0.peakQueuedBytes } }
    /// How often a `write` had to wait for the reader (tests check it did).
    var backpressureWaits: Int { state.withLock { $0.backpressureWaits } }

    func onClose(_ handler: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state in
            if state.closed { return true }
            state.closeHandlers.append(handler)
            return false
        }
        if runNow { handler() }
    }

    private func waitForSpace() async throws {
        let id = state.withLock { state in
            state.nextID &+= 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let immediate: Result<Void, any Error>? = state.withLock { state in
                    if state.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    if !state.writable { return .failure(HTTPStreamError.closed) }
                    if state.queuedBytes <= highWaterMark { return .success(()) }
                    state.backpressureWaits += 1
                    state.spaceWaiters[id] = continuation
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                if let waiter = state.spaceWaiters.removeValue(forKey: id) { return waiter }
                state.cancelled.insert(id)
                return nil
            }
            waiter?.resume(throwing: CancellationError())
        }
        state.withLock { _ = $0.cancelled.remove(id) }
    }

    func waitClosed() async {
        let id = state.withLock { state in
            state.nextID &+= 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.closeHandlersDone || state.cancelled.remove(id) != nil { return true }
                    state.closeWaiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.closeWaiters.removeValue(forKey: id) { return waiter }
                state.cancelled.insert(id)
                return nil
            }
            waiter?.resume()
        }
        state.withLock { _ = $0.cancelled.remove(id) }
    }

    // MARK: server side (libmicrohttpd's polling thread)

    /// Binds the stream to the connection that will send it. Called once, when
    /// the response is queued, before libmicrohttpd can call the reader. `socket` is the
    /// connection's socket when the flusher may send to it (else -1).
    func attach(connection: ConnectionRef, server: ServerCore, socket: Int32 = -1) {
        state.withLock { state in
            state.connection = connection
            state.server = server
            state.socket = socket
        }
        if !server.registerStream(self) {
            end(aborting: false)  // shutting down: send what is queued, then end
        }
    }

    // MARK: flusher side (a SocketFlusher thread)

    /// Sends what is queued straight to the socket while the connection stays suspended
    /// (see the type comment). The lock is not held during the send, so producers never wait
    /// for the socket; `sending` keeps the connection suspended meanwhile. A full socket
    /// resumes the connection, so libmicrohttpd sends the rest when the socket has room; a
    /// broken one ends the stream with an error, so libmicrohttpd closes the connection and
    /// the stream closes as usual.
    func flushDirect() {
        let claim: (socket: Int32, bytes: [UInt8])? = state.withLock { state in
            state.flushScheduled = false
            guard state.suspended, state.socket >= 0, !state.sending, !state.closed, !state.aborted,
                  state.queuedBytes > 0 else { return nil }
            state.sending = true
            return (state.socket, state.queuedBytesInOrder())
        }
        guard let claim else { return }
        let (count, outcome) = Self.sendNow(claim.bytes, to: claim.socket)
        let (resume, waiters): (PendingResume?, [CheckedContinuation<Void, any Error>]) = state.withLock { state in
            state.sending = false
            state.consume(count)
            let waiters = state.queuedBytes <= highWaterMark ? state.takeSpaceWaiters() : []
            if state.resumeDeferred, let connection = state.connection, let server = state.server {
                state.resumeDeferred = false
                return (PendingResume(connection: connection, server: server), waiters)
            }
            return (outcome == .full ? state.takeResume() : nil, waiters)
        }
        for waiter in waiters { waiter.resume() }
        resume?.perform()
        if outcome == .failed { end(aborting: true) }
    }

    /// The content-reader callback's logic; returns what libmicrohttpd expects:
    /// bytes copied, 0 after suspending, -1 end of stream, -2 error.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let (result, waiters): (Int, [CheckedContinuation<Void, any Error>]) = state.withLock { state in
            if state.aborted || state.closed { return (MHDBridge.contentReaderError, []) }
            if state.queuedBytes > 0 {
                guard buffer.count > 0 else { return (MHDBridge.contentReaderError, []) }
                let count = state.take(into: buffer)
                return (count, state.queuedBytes <= highWaterMark ? state.takeSpaceWaiters() : [])
            }
            if state.finished { return (MHDBridge.contentReaderEndOfStream, []) }
            guard let connection = state.connection else { return (MHDBridge.contentReaderError, []) }
            state.suspended = true
            MHDBridge.suspend(connection)
            return (0, [])
        }
        for waiter in waiters { waiter.resume() }
        return result
    }

    /// Marks the stream closed for good: libmicrohttpd released the response
    /// (sent, client gone, or daemon stopped), or it was never sent. Refuses
    /// writes at once, runs the close handlers, then wakes `closed()` waiters,
    /// so code after `await closed()` sees the handlers' effects.
    func close() {
        let taken = state.withLock { state -> (spaces: [CheckedContinuation<Void, any Error>], handlers: [@Sendable () -> Void], server: ServerCore?)? in
            if state.closed { return nil }
            state.closed = true
            state.writable = false
            state.suspended = false
            state.connection = nil
            state.chunks = []
            state.head = 0
            state.headOffset = 0
            state.queuedBytes = 0
            let handlers = state.closeHandlers
            state.closeHandlers = []
            let server = state.server
            state.server = nil
            return (state.takeSpaceWaiters(), handlers, server)
        }
        guard let taken else { return }
        taken.server?.unregisterStream(self)
        for waiter in taken.spaces { waiter.resume(throwing: HTTPStreamError.closed) }
        for handler in taken.handlers { handler() }
        let closeWaiters = state.withLock { state in
            state.closeHandlersDone = true
            defer { state.closeWaiters.removeAll() }
            return Array(state.closeWaiters.values)
        }
        for waiter in closeWaiters { waiter.resume() }
    }
}
