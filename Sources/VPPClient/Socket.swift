#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrappers over the POSIX calls the transport needs, returning Swift errors.
enum POSIX {
    /// `strerror(errno)` with the number, e.g. "Connection refused (errno 111)".
    static func describe(_ code: Int32) -> String {
        if let s = strerror(code) { return "\(String(cString: s)) (errno \(code))" }
        return "errno \(code)"
    }

    /// A monotonic clock in nanoseconds (vDSO, ~20 ns): the time base of deadlines.
    @inline(__always)
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Outcome of one non-blocking connect attempt.
    enum ConnectResult {
        case connected(Int32)
        /// The listen backlog is full (Linux returns EAGAIN for AF_UNIX): retry shortly.
        case busy
        case failed(String)
    }

    /// Opens an AF_UNIX SOCK_STREAM socket to `path` without blocking.
    ///
    /// VPP's socket is SOCK_STREAM since 19.08 (socket_api.c:813); the fd is switched back
    /// to blocking mode on success because the reader thread blocks in `read()` and writers
    /// use `MSG_DONTWAIT` per call.
    static func connectUnix(path: String) -> ConnectResult {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else {
            return .failed("socket path must be 1...\(capacity - 1) bytes: \(path)")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { p in
            p.copyBytes(from: bytes)
            p[bytes.count] = 0
        }
        #if canImport(Darwin)
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #else
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #endif
        guard fd >= 0 else { return .failed("socket(): " + describe(errno)) }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if rc != 0 {
            let e = errno
            close(fd)
            if e == EAGAIN || e == EINPROGRESS { return .busy }
            return .failed("connect(\(path)): " + describe(e))
        }
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        #if canImport(Darwin)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        return .connected(fd)
    }

    /// Result of a non-blocking send.
    enum SendResult {
        case sent(Int)
        case wouldBlock
        case failed(Int32)
    }

    /// `send()` without blocking and without SIGPIPE.
    @inline(__always)
    static func sendNonBlocking(_ fd: Int32, _ p: UnsafeRawBufferPointer) -> SendResult {
        while true {
            #if canImport(Darwin)
            let n = send(fd, p.baseAddress, p.count, MSG_DONTWAIT)
            #else
            let n = send(fd, p.baseAddress, p.count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL))
            #endif
            if n >= 0 { return .sent(n) }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            return .failed(e)
        }
    }

    /// Waits until `fd` is writable or `timeoutMs` passes.
    static func waitWritable(_ fd: Int32, timeoutMs: Int32) {
        var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        _ = poll(&pfd, 1, timeoutMs)
    }

    /// Blocking `read()`; returns bytes read, 0 at EOF, or the errno (negated).
    @inline(__always)
    static func read(_ fd: Int32, into p: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            #if canImport(Darwin)
            let n = Darwin.read(fd, p.baseAddress, p.count)
            #else
            let n = Glibc.read(fd, p.baseAddress, p.count)
            #endif
            if n >= 0 { return n }
            let e = errno
            if e == EINTR { continue }
            return -Int(e)
        }
    }

    /// Wakes a thread blocked in `read()` on `fd` (it returns 0) without closing the fd,
    /// so the number cannot be reused while another thread still uses it.
    static func shutdownBoth(_ fd: Int32) {
        _ = shutdown(fd, Int32(SHUT_RDWR))
    }

    /// Closes `fd`.
    static func closeFD(_ fd: Int32) {
        _ = close(fd)
    }
}
