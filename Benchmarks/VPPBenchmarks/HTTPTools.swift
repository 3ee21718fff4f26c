#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// `wrk` (the Debian package), run as a child process, and its report parsed.
enum Wrk {
    struct Result {
        var rate = 0.0
        var requests = 0
        var p50 = Double.nan
        var p99 = Double.nan
        var non2xx = 0
        var socketErrors = ""
        /// wrk's own CPU share of one core (from getrusage of reaped children).
        var cpuShare = Double.nan
    }

    /// The wrk binary on PATH, or nil.
    static var path: String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let p = "\(dir)/wrk"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    /// A Lua script that makes every request `POST` with `body` as JSON.
    static func postScript(body: String, in directory: String) throws -> String {
        let path = directory + "/post.lua"
        let lua = """
            wrk.method = "POST"
            wrk.body = "\(body.replacingOccurrences(of: "\"", with: "\\\""))"
            wrk.headers["Content-Type"] = "application/json"

            """
        guard FileManager.default.createFile(atPath: path, contents: Data(lua.utf8)) else {
            throw BenchmarkError("cannot write \(path)")
        }
        return path
    }

    /// `wrk -t threads -c connections -d seconds --latency [-s script] url`.
    static func run(url: String, threads: Int = 2, connections: Int = 64, seconds: Int, script: String?) throws -> Result {
        guard let wrk = path else { throw BenchmarkError("wrk is not installed (apt-get install -y wrk; Benchmarks/run.sh does this)") }
        var args = ["-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--latency"]
        if let script { args += ["-s", script] }
        args.append(url)
        let before = childrenCPU()
        let start = monotonicNanos()
        let child = try ChildProcess(label: "wrk", executable: wrk, arguments: args)
        let text = child.readAll()
        let wall = Double(monotonicNanos() - start) / 1e9
        guard child.process.terminationStatus == 0 else {
            throw BenchmarkError("wrk failed (status \(child.process.terminationStatus)):\n\(text)")
        }
        var r = parse(text)
        r.cpuShare = (childrenCPU() - before) / wall
        return r
    }

    /// CPU seconds of this process's reaped children.
    private static func childrenCPU() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_CHILDREN.rawValue), &usage)
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(usage.ru_utime) + s(usage.ru_stime)
    }

    static func parse(_ text: String) -> Result {
        var r = Result()
        var inDistribution = false
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if line.hasPrefix("Latency Distribution") { inDistribution = true; continue }
            if inDistribution, words.count == 2, words[0].hasSuffix("%") {
                if words[0] == "50%" || words[0] == "50.000%" { r.p50 = seconds(words[1]) }
                if words[0] == "99%" || words[0] == "99.000%" { r.p99 = seconds(words[1]) }
                continue
            }
            inDistribution = false
            if line.hasPrefix("Requests/sec:"), words.count >= 2 { r.rate = Double(words[1]) ?? 0 }
            if words.count >= 3, words[1] == "requests", words[2] == "in" { r.requests = Int(words[0]) ?? 0 }
            if line.hasPrefix("Non-2xx or 3xx responses:"), let n = words.last.flatMap({ Int($0) }) { r.non2xx = n }
            if line.hasPrefix("Socket errors:") { r.socketErrors = String(line.dropFirst("Socket errors:".count)).trimmingCharacters(in: .whitespaces) }
        }
        return r
    }

    /// `1.23ms`, `850.00us`, `1.02s`, `2.00m` → seconds.
    static func seconds(_ text: String) -> Double {
        for (suffix, scale) in [("us", 1e-6), ("ms", 1e-3), ("s", 1.0), ("m", 60.0)] where text.hasSuffix(suffix) {
            if let v = Double(text.dropLast(suffix.count)) { return v * scale }
        }
        return .nan
    }
}

/// A minimal blocking HTTP/1.1 client for one GET whose whole body is read and timed.
enum HTTPGet {
    struct Response {
        var status = 0
        var headers: [(String, String)] = []
        /// The body, de-chunked.
        var body: [UInt8] = []
        /// Seconds from sending the request to the first byte of the response.
        var firstByte = 0.0
        /// Seconds from sending the request to the last byte of the body.
        var lastByte = 0.0
        var wireBytes = 0
    }

    /// Connects a TCP socket to 127.0.0.1:`port` (blocking).
    static func connectLoopback(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchmarkError("socket(): errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw BenchmarkError("connect to 127.0.0.1:\(port): errno \(e)")
        }
        return fd
    }

    /// `GET path` with `Connection: close`; reads to the end of the body.
    static func get(port: UInt16, path: String, accept: String = "application/json") throws -> Response {
        let fd = try connectLoopback(port: port)
        defer { close(fd) }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAccept: \(accept)\r\nConnection: close\r\n\r\n".utf8)
        var wire: [UInt8] = []
        wire.reserveCapacity(16 << 20)
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        let start = monotonicNanos()
        let sent = request.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard sent == request.count else { throw BenchmarkError("could not send the request") }
        var first: UInt64 = 0
        var last: UInt64 = 0
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            last = monotonicNanos()
            if first == 0 { first = last }
            wire += chunk[0..<n]
            // A chunked body ends with an empty chunk; do not wait for the close after it.
            if wire.count >= 5, wire[(wire.count - 5)...].elementsEqual("0\r\n\r\n".utf8), isComplete(wire) { break }
        }
        var response = try parse(wire)
        response.firstByte = Double(first - start) / 1e9
        response.lastByte = Double(last - start) / 1e9
        response.wireBytes = wire.count
        return response
    }

    /// True once the chunked body in `wire` is complete (checked only when it ends like one).
    private static func isComplete(_ wire: [UInt8]) -> Bool {
        (try? parse(wire)).map { $0.status != 0 } ?? false
    }

    /// Parses a whole response (status line, headers, body chunked or not).
    static func parse(_ wire: [UInt8]) throws -> Response {
        var r = Response()
        guard let headerEnd = find(wire, Array("\r\n\r\n".utf8), from: 0) else { throw BenchmarkError("incomplete response headers") }
        let head = String(decoding: wire[0..<headerEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let statusWords = head.first?.split(separator: " ") ?? []
        r.status = statusWords.count > 1 ? Int(statusWords[1]) ?? 0 : 0
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            r.headers.append((line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        var i = headerEnd + 4
        let chunked = r.headers.contains { $0.0 == "transfer-encoding" && $0.1.lowercased().contains("chunked") }
        guard chunked else {
            r.body = Array(wire[i...])
            return r
        }
        while true {
            guard let lineEnd = find(wire, [13, 10], from: i) else { throw BenchmarkError("truncated chunked body") }
            let sizeText = String(decoding: wire[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw BenchmarkError("bad chunk size") }
            i = lineEnd + 2
            if size == 0 { break }
            guard i + size + 2 <= wire.count else { throw BenchmarkError("truncated chunk") }
            r.body += wire[i..<(i + size)]
            i += size + 2
        }
        return r
    }

    private static func find(_ hay: [UInt8], _ needle: [UInt8], from: Int) -> Int? {
        guard hay.count >= needle.count else { return nil }
        var i = from
        while i + needle.count <= hay.count {
            if hay[i] == needle[0] && hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
