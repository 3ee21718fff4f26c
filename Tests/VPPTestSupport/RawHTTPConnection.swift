// A blocking raw HTTP/1.1 test client, shared by the HTTP server and gateway tests.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Errors from the test client; every wait is bounded, a timeout is a failure.
public enum TestClientError: Error, CustomStringConvertible {
    case system(String)
    case timeout(String)
    case closed(String)
    case malformed(String)

    public var description: String {
        switch self {
        case .system(let what): "system error: \(what)"
        case .timeout(let what): "timed out: \(what)"
        case .closed(let what): "connection closed: \(what)"
        case .malformed(let what): "malformed response: \(what)"
        }
    }
}

/// A parsed response head.
public struct ResponseHead: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]

    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name == wanted }?.value
    }

    public var isChunked: Bool { header("transfer-encoding")?.lowercased().contains("chunked") ?? false }
}

/// A complete response.
public struct RawResponse: Sendable {
    public var head: ResponseHead
    public var body: [UInt8]

    public var status: Int { head.status }
    public var text: String { String(decoding: body, as: UTF8.self) }
    public func header(_ name: String) -> String? { head.header(name) }
}

/// A tiny blocking HTTP/1.1 client over a raw TCP socket, so tests see exactly
/// what goes over the wire: keep-alive reuse, chunk boundaries, early closes.
/// Blocking: use it only from ``offload(_:)`` threads, never on the Swift
/// concurrency pool (which the server's handlers need).
public final class RawHTTPConnection {
    public private(set) var fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0

    /// Connects to 127.0.0.1:`port`. `timeout` bounds every single read/write;
    /// `receiveBuffer` shrinks the kernel buffer to make a slow reader.
    public init(port: UInt16, timeout: Double = 10, receiveBuffer: Int? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestClientError.system("socket: \(errno)") }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if var size = receiveBuffer.map(Int32.init) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            let error = errno
            Glibc.close(fd)
            throw TestClientError.system("connect: \(error)")
        }
    }

    deinit { close() }

    /// The local port, which identifies the TCP connection to the server.
    public var localPort: UInt16 {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }

    public func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }

    /// Closes with a TCP reset (SO_LINGER 0), like a killed client.
    public func abort() {
        guard fd >= 0 else { return }
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    public func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw errno == EAGAIN ? TestClientError.timeout("send") : TestClientError.system("send: \(errno)")
            }
            sent += n
        }
    }

    public func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends a request. Adds `Host` (unless `headers` has one) and, for a body, `Content-Length`.
    public func sendRequest(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []) throws {
        var text = "\(method) \(target) HTTP/1.1\r\n"
        if !headers.contains(where: { $0.0.lowercased() == "host" }) { text += "Host: 127.0.0.1\r\n" }
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        try send(Array(text.utf8) + body)
    }

    /// Sends a request and reads its whole response.
    public func request(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []) throws -> RawResponse {
        try sendRequest(method, target, headers: headers, body: body)
        return try readResponse(method: method)
    }

    /// Reads more bytes into the buffer; false at EOF.
    @discardableResult
    public func fill(max: Int = 64 * 1024) throws -> Bool {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: max)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                return true
            }
            if n == 0 { return false }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { throw TestClientError.timeout("recv") }
            if errno == ECONNRESET { return false }
            throw TestClientError.system("recv: \(errno)")
        }
    }

    private var available: Int { buffer.count - start }

    private func take(_ count: Int) -> [UInt8] {
        let out = Array(buffer[start..<(start + count)])
        start += count
        return out
    }

    public func readLine() throws -> String {
        while true {
            if let end = buffer[start...].firstRange(of: [13, 10]) {
                let line = String(decoding: buffer[start..<end.lowerBound], as: UTF8.self)
                start = end.upperBound
                return line
            }
            guard try fill() else { throw TestClientError.closed("reading a line") }
        }
    }

    public func readExactly(_ count: Int) throws -> [UInt8] {
        while available < count {
            guard try fill() else { throw TestClientError.closed("reading \(count) bytes") }
        }
        return take(count)
    }

    public func readHead() throws -> ResponseHead {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            throw TestClientError.malformed("status line '\(statusLine)'")
        }
        var headers: [(name: String, value: String)] = []
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw TestClientError.malformed("header '\(line)'") }
            headers.append((name: line[..<colon].lowercased(),
                            value: line[line.index(after: colon)...].trimmingCharacters(in: " \t")))
        }
        return ResponseHead(status: status, headers: headers)
    }

    /// The next chunk of a chunked body, or nil after the last one (trailers consumed).
    public func readChunk() throws -> [UInt8]? {
        let sizeLine = try readLine()
        let hex = sizeLine.split(separator: ";").first.map(String.init)?.trimmingCharacters(in: " ") ?? ""
        guard let size = Int(hex, radix: 16) else { throw TestClientError.malformed("chunk size '\(sizeLine)'") }
        if size == 0 {
            while try !readLine().isEmpty {}
            return nil
        }
        let data = try readExactly(size)
        guard try readLine().isEmpty else { throw TestClientError.malformed("chunk not followed by CRLF") }
        return data
    }

    /// The next piece of a body read as it streams: a chunk when it is chunked, otherwise
    /// whatever bytes arrive next (a body that ends with the connection); nil at its end.
    public func readPiece(of head: ResponseHead) throws -> [UInt8]? {
        if head.isChunked { return try readChunk() }
        if available == 0, try !fill() { return nil }
        return take(available)
    }

    public func readBody(for head: ResponseHead, method: String) throws -> [UInt8] {
        if method == "HEAD" || head.status == 204 || head.status == 304 || head.status < 200 { return [] }
        if head.isChunked {
            var body: [UInt8] = []
            while let chunk = try readChunk() { body += chunk }
            return body
        }
        if let length = head.header("content-length").flatMap({ Int($0) }) {
            return try readExactly(length)
        }
        return try readToEnd()
    }

    /// Every buffered byte received so far (not consumed).
    public func readAvailable() throws -> [UInt8] {
        Array(buffer[start...])
    }

    public func readToEnd() throws -> [UInt8] {
        while try fill() {}
        return take(available)
    }

    public func readResponse(method: String = "GET") throws -> RawResponse {
        let head = try readHead()
        return RawResponse(head: head, body: try readBody(for: head, method: method))
    }

    /// Whether the server closed the connection (EOF or reset) within the timeout.
    public func waitForPeerClose() throws -> Bool {
        while try fill() {}
        return true
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
