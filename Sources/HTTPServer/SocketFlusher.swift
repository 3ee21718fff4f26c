import Dispatch
import Foundation
import Synchronization

/// Sends queued stream bytes straight to the sockets of suspended connections, on threads
/// of its own.
///
/// Why: one event fanned out to 10,000 SSE streams otherwise costs, per stream, a
/// libmicrohttpd resume (a lock and an eventfd write), a walk of its suspended list, a turn
/// of its connection state machine and the `send` itself — all on the one polling thread,
/// one stream after another. Here it costs the `send` alone, and the polling thread stays
/// free for requests.
///
/// Only streams that ``StreamCore`` marks eligible come here: bodies that end with the
/// connection (no chunked framing, so bytes go out as they are) on connections without TLS.
/// A send that does not complete hands the rest back to libmicrohttpd by resuming the
/// connection (``StreamCore/flushDirect()``), which then waits for the socket as usual.
///
/// Streams are spread over the threads ("lanes") round-robin; each stream always uses the
/// same lane, so its bytes are never sent by two threads.
final class SocketFlusher: Sendable {
    private let lanes: [Lane]

    /// `threads` lanes; each starts its thread on first use.
    init(threads: Int) {
        lanes = (0..<max(1, threads)).map { Lane(name: "http-writer-\($0)") }
    }

    /// Asks for `stream` to be flushed soon, on its lane's thread.
    func schedule(_ stream: StreamCore) {
        lanes[stream.lane % lanes.count].schedule(stream)
    }

    /// Stops the threads once they finished what is scheduled. After this, `schedule`
    /// flushes on the caller's thread (no connection can be suspended by then: the
    /// daemon has stopped).
    func stop() {
        for lane in lanes { lane.stop() }
    }

    /// One thread and the streams waiting for it.
    private final class Lane: Sendable {
        private let name: String
        private let state = Mutex(State())
        /// Signalled each time `pending` turns non-empty, and at stop.
        private let wake = DispatchSemaphore(value: 0)
        private let finished = DispatchSemaphore(value: 0)

        private struct State {
            var pending: [StreamCore] = []
            var started = false
            var stopping = false
        }

        init(name: String) {
            self.name = name
        }

        func schedule(_ stream: StreamCore) {
            let (start, signal, inline) = state.withLock { state -> (Bool, Bool, Bool) in
                if state.stopping { return (false, false, true) }
                state.pending.append(stream)
                defer { state.started = true }
                return (!state.started, state.pending.count == 1, false)
            }
            if inline {
                stream.flushDirect()
                return
            }
            if start {
                let thread = Thread { [self] in
                    // Named from inside: on Linux a name set before start() is not applied.
                    Thread.current.name = name
                    run()
                }
                thread.start()
            }
            if signal { wake.signal() }
        }

        func stop() {
            let started = state.withLock { state -> Bool in
                state.stopping = true
                return state.started
            }
            guard started else { return }
            wake.signal()
            finished.wait()
        }

        private func run() {
            while true {
                wake.wait()
                let (streams, stopping) = state.withLock { state in
                    defer { state.pending.removeAll(keepingCapacity: true) }
                    return (state.pending, state.stopping)
                }
                for stream in streams { stream.flushDirect() }
                if stopping { break }
            }
            finished.signal()
        }
    }
}

