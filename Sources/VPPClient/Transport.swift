import Foundation
import Synchronization

/// What the transport reports to its owner, from the reader thread.
protocol TransportDelegate: AnyObject, Sendable {
    /// One framing event (a complete message, or an oversized one being skipped).
    /// Called on the reader thread: must not block.
    func transportReceived(_ event: FrameEvent)
    /// The socket is gone; called once, on the reader thread, after the last message.
    func transportClosed(_ reason: DisconnectReason)
}

/// One API socket: a dedicated reader thread and coalesced, non-blocking writes.
///
/// Reading: a plain thread blocks in `read()` of up to 256 KB at a time and hands every
/// complete message to the delegate at once, so replies resume their callers without an
/// actor hop and the socket is drained promptly whatever consumers do (VPP buffers without
/// limit for a slow reader, socket_api.c:133-147).
///
/// Writing: callers append framed bytes to one buffer under a lock. The first caller to
/// find nobody flushing becomes the flusher and `send()`s with `MSG_DONTWAIT` until the
/// buffer is empty; everything others append meanwhile goes out in the same syscalls. If
/// the kernel buffer is full (VPP's main thread busy) the rest is handed to a short-lived
/// thread that waits with `poll()`, so no cooperative thread ever blocks. Appends keep
/// whole messages contiguous, so a dump and its `control_ping` always leave in order.
final class Transport: Sendable {
    private struct Output {
        var pending: [UInt8] = []
        var spare: [UInt8] = []
        var flushing = false
        var closed = false
        var readerDone = false
        var fdClosed = false
        var closeReason: DisconnectReason?
    }

    /// The socket.
    let fd: Int32
    private let output = Mutex(Output())
    private let maxOutput: Int
    private let maxMessageSize: Int
    /// `POSIX.now()` of the last successful `read()`: liveness measures silence from it.
    let lastReceive: Atomic<UInt64>

    /// Wraps a connected socket. Nothing is read until `start(delegate:)`.
    init(fd: Int32, maxMessageSize: Int, maxOutput: Int) {
        self.fd = fd
        self.maxMessageSize = maxMessageSize
        self.maxOutput = maxOutput
        self.lastReceive = Atomic(POSIX.now())
    }

    /// Starts the reader thread. The delegate is held strongly until the socket closes.
    func start(delegate: any TransportDelegate) {
        let thread = Thread { [self] in
            // Named from inside: on Linux a name set before start() is not applied.
            Thread.current.name = "vpp-api-reader"
            self.readLoop(delegate)
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func readLoop(_ delegate: any TransportDelegate) {
        let reader = FrameReader(maxMessageSize: maxMessageSize)
        var reason = DisconnectReason.endOfFile
        while true {
            let space = reader.writableSpace()
            let n = POSIX.read(fd, into: space)
            if n == 0 { break }
            if n < 0 {
                reason = .socketError("read(): " + POSIX.describe(Int32(-n)))
                break
            }
            lastReceive.store(POSIX.now(), ordering: .relaxed)
            reader.commit(n)
            while let event = reader.next() {
                delegate.transportReceived(event)
            }
        }
        let final = output.withLock { o -> DisconnectReason in
            o.closed = true
            o.readerDone = true
            if !o.flushing && !o.fdClosed {
                o.fdClosed = true
                POSIX.closeFD(fd)
            }
            return o.closeReason ?? reason
        }
        delegate.transportClosed(final)
    }

    /// Closes the connection from this side: the reader wakes up, reports `reason` and the
    /// fd is closed once no thread uses it any more.
    func close(_ reason: DisconnectReason) {
        output.withLock { o in
            if o.closeReason == nil { o.closeReason = reason }
            o.closed = true
            // shutdown, not close: the reader thread still uses the fd (see closeIfUnused).
            if !o.fdClosed { POSIX.shutdownBoth(fd) }
        }
    }

    /// Records why the socket is about to close (e.g. `.shutdown` before `sockclnt_delete`,
    /// after which VPP closes its end) without closing it yet, so the EOF that follows is
    /// reported with this reason.
    func expectClose(_ reason: DisconnectReason) {
        output.withLock { o in
            if o.closeReason == nil { o.closeReason = reason }
        }
    }

    /// True once the socket is closing or closed.
    var isClosed: Bool { output.withLock { $0.closed } }

    /// Appends framed messages (written by `build`) and makes sure they get flushed.
    ///
    /// Returns nil when queued, otherwise why not: `.notConnected` when closed, or
    /// `.overloaded` when VPP is not draining its socket and the buffer is over the limit.
    func send(_ build: (inout [UInt8]) -> Void) -> VPPError? {
        let (error, batch) = output.withLock { o -> (VPPError?, [UInt8]?) in
            if o.closed { return (.notConnected, nil) }
            if o.pending.count > maxOutput { return (.overloaded(queuedBytes: o.pending.count), nil) }
            build(&o.pending)
            if o.flushing { return (nil, nil) }
            o.flushing = true
            var taken = o.spare
            swap(&taken, &o.pending)
            o.spare = []
            return (nil, taken)
        }
        if let error { return error }
        if let batch { flush(batch, rounds: 64) }
        return nil
    }

    /// Writes `batch` and then whatever accumulated meanwhile. After `rounds` batches (or
    /// when the socket would block) the remaining work moves to a helper thread so a caller
    /// is never stuck flushing for others indefinitely.
    private func flush(_ first: [UInt8], rounds: Int) {
        var batch = first
        var round = 0
        while true {
            var offset = 0
            while offset < batch.count {
                let result = batch.withUnsafeBytes { p in
                    POSIX.sendNonBlocking(fd, UnsafeRawBufferPointer(rebasing: p[offset...]))
                }
                switch result {
                case .sent(let n):
                    offset += n
                case .wouldBlock:
                    handOff(batch, offset: offset)
                    return
                case .failed(let e):
                    writeFailed(e)
                    return
                }
            }
            batch.removeAll(keepingCapacity: true)
            round += 1
            let next = output.withLock { o -> [UInt8]? in
                if o.closed || o.pending.isEmpty {
                    o.flushing = false
                    if o.closed { o.pending = [] }
                    if o.spare.capacity < batch.capacity { o.spare = batch }
                    closeIfUnused(&o)
                    return nil
                }
                var taken = batch
                swap(&taken, &o.pending)
                return taken
            }
            guard let next else { return }
            batch = next
            if rounds > 0 && round >= rounds {
                handOff(batch, offset: 0)
                return
            }
        }
    }

    private func handOff(_ batch: [UInt8], offset: Int) {
        let remaining = Array(batch[offset...])
        let thread = Thread { [self] in
            Thread.current.name = "vpp-api-writer"  // from inside, as the reader's
            var rest = remaining
            while !rest.isEmpty {
                if isClosed {
                    output.withLock { o in
                        o.flushing = false
                        closeIfUnused(&o)
                    }
                    return
                }
                POSIX.waitWritable(fd, timeoutMs: 100)
                let result = rest.withUnsafeBytes { POSIX.sendNonBlocking(fd, $0) }
                switch result {
                case .sent(let n): rest.removeFirst(n)
                case .wouldBlock: continue
                case .failed(let e):
                    writeFailed(e)
                    return
                }
            }
            flush([], rounds: 0)
        }
        thread.stackSize = 256 << 10
        thread.start()
    }

    private func writeFailed(_ e: Int32) {
        output.withLock { o in
            if o.closeReason == nil { o.closeReason = .socketError("send(): " + POSIX.describe(e)) }
            o.closed = true
            o.flushing = false
            o.pending = []
            if !o.fdClosed { POSIX.shutdownBoth(fd) }
            closeIfUnused(&o)
        }
    }

    /// Closes the fd when the reader has exited and no flusher is active.
    private func closeIfUnused(_ o: inout Output) {
        if o.closed && o.readerDone && !o.flushing && !o.fdClosed {
            o.fdClosed = true
            POSIX.closeFD(fd)
        }
    }
}
