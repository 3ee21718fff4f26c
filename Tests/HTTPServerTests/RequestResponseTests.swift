import VPPTestSupport
import Foundation
import HTTPServer
import Testing

@Suite("Requests and responses")
struct RequestResponseTests {
    /// Echoes what the handler saw, one field per line.
    static let echo: HTTPHandler = { request in
        if request.method == "POST" {
            return HTTPResponse(status: 201, headers: [("Content-Type", "application/octet-stream"), ("X-Path", request.path)],
                                body: .bytes(request.body))
        }
        let lines = [request.method, request.path, request.header("X-Test") ?? "-", request.version,
                     request.remoteAddress]
        return .text(lines.joined(separator: "\n"))
    }

    @Test func getAndPostRoundTripMethodPathHeadersAndBody() async throws {
        let server = try startServer(handler: Self.echo)
        let port = server.port
        let (get, post) = try await offload {
            let connection = try RawHTTPConnection(port: port)
            let get = try connection.request("GET", "/hello/world", headers: [("X-Test", "yes")])
            let body = (0..<5000).map { UInt8(truncatingIfNeeded: $0 * 7) }
            let post = try connection.request("POST", "/echo", body: body)
            return (get, post)
        }
        #expect(get.status == 200)
        #expect(get.text == "GET\n/hello/world\nyes\nHTTP/1.1\n127.0.0.1")
        #expect(get.header("content-length") == String(get.body.count))
        #expect(get.header("content-type") == "text/plain")
        #expect(post.status == 201)
        #expect(post.body == (0..<5000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        #expect(post.header("content-length") == "5000")
        #expect(post.header("x-path") == "/echo")
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func queryParametersAreDecodedInOrderWithRepeats() async throws {
        let seen = Mailbox<HTTPRequest>()
        let server = try startServer { request in
            seen.put(request)
            return .text("ok")
        }
        let port = server.port
        let response = try await offload {
            try RawHTTPConnection(port: port).request("GET", "/a%20b/c%2Fd?name=x&name=y%2Fz&sp=1+2&flag&empty=&u=%C3%A9&bad=%zz")
        }
        #expect(response.status == 200)
        let request = try await seen.take()
        #expect(request.path == "/a b/c/d")
        #expect(request.target == "/a%20b/c%2Fd?name=x&name=y%2Fz&sp=1+2&flag&empty=&u=%C3%A9&bad=%zz")
        let pairs = request.query.map { "\($0.name)=\($0.value)" }
        #expect(pairs == ["name=x", "name=y/z", "sp=1 2", "flag=", "empty=", "u=é", "bad=%zz"])
        #expect(request.queryValue("name") == "x")
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func keepAliveReusesOneConnection() async throws {
        let server = try startServer { request in .text("\(request.remotePort)") }
        let port = server.port
        let (first, second, localPort) = try await offload {
            let connection = try RawHTTPConnection(port: port)
            let first = try connection.request("GET", "/one")
            let second = try connection.request("GET", "/two")
            return (first, second, connection.localPort)
        }
        #expect(first.status == 200 && second.status == 200)
        #expect(first.header("connection")?.lowercased() != "close")
        // Both requests were served on the very TCP connection the client opened.
        #expect(first.text == String(localPort))
        #expect(second.text == String(localPort))
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test(arguments: [0, 2])
    func twoHundredConcurrentSlowHandlersDoNotBlockThePollingThread(threadPoolSize: Int) async throws {
        let gate = Gate()
        let entered = Counter()
        let server = try startServer({ $0.threadPoolSize = threadPoolSize }) { request in
            if request.path == "/fast" { return .text("fast") }
            entered.increment()
            await gate.wait()
            try? await Task.sleep(for: .milliseconds(20))
            return .text(request.path)
        }
        let port = server.port
        let count = 200
        let connections = try await offload {
            try (0..<count).map { index in
                let connection = try RawHTTPConnection(port: port, timeout: 20)
                try connection.sendRequest("GET", "/slow/\(index)")
                return SendableBox(connection)
            }
        }
        // Every handler is suspended at the same time...
        try await eventually(20, "all \(count) handlers to be in flight") { entered.value == count }
        // ...and the polling thread still answers other requests meanwhile.
        let fast = try await offload { try RawHTTPConnection(port: port).request("GET", "/fast") }
        #expect(fast.text == "fast")
        gate.open()
        let bodies = try await offload {
            try connections.map { try $0.value.readResponse().text }
        }
        #expect(bodies == (0..<count).map { "/slow/\($0)" })
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func malformedRequestGets400AndServerKeepsServing() async throws {
        let calls = Counter()
        let server = try startServer { _ in
            calls.increment()
            return .text("fine")
        }
        let port = server.port
        let (badVersion, badHeader, garbageClosed, good) = try await offload {
            let first = try RawHTTPConnection(port: port)
            try first.send("GET /x NOT-HTTP\r\nHost: x\r\n\r\n")
            let badVersion = try first.readResponse()
            let second = try RawHTTPConnection(port: port)
            try second.send("GET / HTTP/1.1\r\nHost: x\r\nthis is not a header\r\n\r\n")
            let badHeader = try second.readResponse()
            // A line libmicrohttpd cannot split at all is dropped without an answer.
            let third = try RawHTTPConnection(port: port)
            try third.send("GARBAGE\r\n\r\n")
            let garbageClosed = try third.readToEnd()
            let good = try RawHTTPConnection(port: port).request("GET", "/")
            return (badVersion, badHeader, garbageClosed, good)
        }
        #expect(badVersion.status == 400)
        #expect(badHeader.status == 400)
        #expect(garbageClosed.isEmpty || String(decoding: garbageClosed, as: UTF8.self).hasPrefix("HTTP/1.1 400"))
        #expect(good.status == 200 && good.text == "fine")
        #expect(calls.value == 1)
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs curl"))
    func listensOnIPv6Loopback() async throws {
        let server: HTTPServer
        do {
            server = try startServer({ $0.host = "::1" }) { request in .text(request.remoteAddress) }
        } catch HTTPServerError.startFailed(let reason) {
            print("skipping: no IPv6 loopback here (\(reason))")
            return
        }
        let port = server.port
        let output = try await offload { try runProcess(["curl", "-sS", "-g", "--max-time", "10", "http://[::1]:\(port)/"]).output }
        #expect(output == "::1")
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func invalidStatusFromHandlerBecomesProblem500() async throws {
        let server = try startServer(logger: silentLogger) { _ in HTTPResponse(status: 42) }
        let port = server.port
        let response = try await offload { try RawHTTPConnection(port: port).request("GET", "/") }
        #expect(response.status == 500)
        #expect(response.header("content-type") == "application/problem+json")
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func headRequestGetsHeadersWithoutBody() async throws {
        let server = try startServer { _ in .text("twelve bytes") }
        let port = server.port
        let (head, after) = try await offload {
            let connection = try RawHTTPConnection(port: port)
            let head = try connection.request("HEAD", "/")
            let after = try connection.request("GET", "/")
            return (head, after)
        }
        #expect(head.status == 200 && head.body.isEmpty)
        #expect(after.text == "twelve bytes")
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func problemResponsesAreRFC9457JSON() throws {
        let response = HTTPResponse.problem(status: 413, type: "body-too-large", title: "Request body too large",
                                            detail: "quote \" and\nnewline")
        guard case .bytes(let bytes) = response.body else {
            Issue.record("problem body must be bytes")
            return
        }
        let object = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]
        #expect(object?["type"] as? String == "https://vpp-gateway.dev/problems/body-too-large")
        #expect(object?["status"] as? Int == 413)
        #expect(object?["detail"] as? String == "quote \" and\nnewline")
        #expect(response.headers.first?.value == "application/problem+json")
    }
}

/// Moves a non-Sendable test object between the client thread and the test.
/// Safe here because each object is used by one thread at a time.
struct SendableBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
