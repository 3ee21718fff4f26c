#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// The floor for SSE fan-out on this machine: one thread that accepts the subscribers, answers
/// each with the same response head the gateway sends, and on every event writes the same
/// SSE frame to every socket in a plain loop (blocking `write`). No HTTP server, no
/// hub, no per-subscriber queues: what is left is the kernel's cost of loopback TCP. Events
/// that arrive during a sweep over the sockets are sent together in the next one.
final class RawFanout: Sendable {
    let port: UInt16
    private let listenFD: Int32
    private let state = Mutex<(fds: [Int32], queue: [Int], stop: Bool)>(([], [], false))
    private let wake = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchmarkError("socket(): errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 4096) == 0 else { close(fd); throw BenchmarkError("bind/listen: errno \(errno)") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        listenFD = fd
        port = UInt16(bigEndian: addr.sin_port)
    }

    /// Starts the accepting and sending threads.
    func start() {
        let acceptor = Thread { [self] in
            nameThisThread("raw-accept")
            let head = Array(("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
                              + "\r\n: subscribed to sw_interface_event\n\n").utf8)
            while true {
                let fd = accept(listenFD, nil, nil)
                if fd < 0 {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    return   // the listening socket was closed
                }
                var one: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                _ = head.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                state.withLock { $0.fds.append(fd) }
            }
        }
        acceptor.start()
        let sender = Thread { [self] in
            nameThisThread("raw-fanout")
            while true {
                wake.wait()
                let (fds, seqs, stop) = state.withLock { s -> ([Int32], [Int], Bool) in
                    defer { s.queue.removeAll() }
                    return (s.fds, s.queue, s.stop)
                }
                if stop { break }
                // Events queued while the last sweep ran go out together, one write per socket
                // (as libmicrohttpd sends whatever a stream has queued).
                var frames: [UInt8] = []
                for seq in seqs {
                    // The gateway's frame for the same event, byte for byte in shape (a 16-digit id,
                    // `_msgname` and `_crc` in the data), so both send as many bytes.
                    frames += Array(("id: \(1_795_421_010_000_000 + seq)\nevent: sw_interface_event\ndata: {\"_msgname\":\"sw_interface_event\","
                                     + "\"_crc\":\"2d3d95a7\",\"pid\":2812197643,\"sw_if_index\":\(seq),\"flags\":[],\"deleted\":false}\n\n").utf8)
                }
                guard !frames.isEmpty else { continue }
                frames.withUnsafeBytes { raw in
                    for fd in fds { _ = write(fd, raw.baseAddress, raw.count) }
                }
            }
            done.signal()
        }
        sender.start()
    }

    /// Sends event `seq` to every accepted socket (asynchronously, on the sender thread).
    func emit(_ seq: Int) {
        state.withLock { $0.queue.append(seq) }
        wake.signal()
    }

    /// Stops sending, closes every socket.
    func stop() {
        state.withLock { $0.stop = true }
        wake.signal()
        done.wait()
        shutdown(listenFD, Int32(SHUT_RDWR))
        close(listenFD)
        let fds = state.withLock { s -> [Int32] in
            defer { s.fds = [] }
            return s.fds
        }
        for fd in fds { close(fd) }
    }
}
