import VPPTestSupport
import Foundation
@testable import HTTPServer
import Testing

@Suite("Shutdown")
struct ShutdownTests {
    @Test(arguments: [0, 2])
    func shutdownWithOpenStreamsAndInFlightRequestsEndsWithinTheGracePeriod(threadPoolSize: Int) async throws {
        for round in 0..<6 {
            let gate = Gate()
            let entered = Counter()
            let writers = Mailbox<HTTPStreamWriter>()
            let server = try startServer({ $0.threadPoolSize = threadPoolSize }) { request in
                switch request.path {
                case "/slow":
                    entered.increment()
                    await gate.wait()
                    return .text("late")
                case "/flood":
                    let (source, writer) = HTTPStreamSource.makeStream(highWaterMark: 16 * 1024)
                    writers.put(writer)
                    Task {
                        while true { try await writer.write([UInt8](repeating: 0x61, count: 16 * 1024)) }
                    }
                    return HTTPResponse(body: .stream(source))
                default:
                    let (source, writer) = HTTPStreamSource.makeStream()
                    writers.put(writer)
                    writer.tryWrite(Array("data: hello\n\n".utf8))
                    return HTTPResponse(headers: [("Content-Type", "text/event-stream")], body: .stream(source))
                }
            }
            let port = server.port
            let clients = try await offload { () -> [SendableBox<RawHTTPConnection>] in
                var clients: [SendableBox<RawHTTPConnection>] = []
                for path in ["/slow", "/slow", "/slow", "/events", "/events", "/events", "/flood"] {
                    let connection = try RawHTTPConnection(port: port, timeout: 10, receiveBuffer: 8 * 1024)
                    try connection.sendRequest("GET", path)
                    if path == "/events" {
                        _ = try connection.readHead()
                        _ = try connection.readChunk()
                    }
                    clients.append(SendableBox(connection))
                }
                return clients
            }
            var streamWriters: [HTTPStreamWriter] = []
            for _ in 0..<4 { streamWriters.append(try await writers.take()) }
            try await eventually(10, "slow handlers to start") { entered.value == 3 }

            let started = ContinuousClock.now
            await server.shutdown(gracePeriod: .milliseconds(300))
            let elapsed = ContinuousClock.now - started
            #expect(elapsed < .seconds(5), "round \(round): shutdown took \(elapsed)")
            for writer in streamWriters {
                #expect(writer.isClosed, "round \(round): a stream stayed open")
                await #expect(throws: HTTPStreamError.closed) { try await writer.write([1]) }
            }
            let outcomes = try await offload { () -> [String] in
                try clients.enumerated().map { index, box in
                    let connection = box.value
                    switch index {
                    case 0..<3:
                        let response = try connection.readResponse()
                        return "\(response.status) \(response.header("content-type") ?? "")"
                    case 3..<6:
                        while try connection.readChunk() != nil {}
                        return "ended"
                    default:
                        return try connection.waitForPeerClose() ? "closed" : "open"
                    }
                }
            }
            #expect(outcomes == Array(repeating: "503 application/problem+json", count: 3)
                + Array(repeating: "ended", count: 3) + ["closed"])
            gate.open()
        }
    }

    @Test func inFlightRequestFinishingWithinGraceGetsItsResponse() async throws {
        for _ in 0..<10 {
            let gate = Gate()
            let entered = Counter()
            let server = try startServer { request in
                if request.path == "/slow" {
                    entered.increment()
                    await gate.wait()
                    return .text("finished")
                }
                return .text("quick")
            }
            let port = server.port
            let (slow, idle) = try await offload { () -> (SendableBox<RawHTTPConnection>, SendableBox<RawHTTPConnection>) in
                let idle = try RawHTTPConnection(port: port)
                _ = try idle.request("GET", "/quick")
                let slow = try RawHTTPConnection(port: port)
                try slow.sendRequest("GET", "/slow")
                return (SendableBox(slow), SendableBox(idle))
            }
            try await eventually(10, "slow handler to start") { entered.value == 1 }
            let shutdown = Task { await server.shutdown(gracePeriod: .seconds(10)) }
            try await eventually(10, "shutdown to begin") { server.core.isShuttingDown }
            // A new request on an open keep-alive connection is refused...
            let refused = try await offload { try idle.value.request("GET", "/quick") }
            #expect(refused.status == 503)
            #expect(refused.header("connection")?.lowercased() == "close")
            // ...and a new connection is closed without an answer.
            let fresh = try await offload { () -> [UInt8] in
                let connection = try RawHTTPConnection(port: port)
                try? connection.sendRequest("GET", "/quick")
                return try connection.readToEnd()
            }
            #expect(fresh.isEmpty)
            // ...while the request already running may finish.
            gate.open()
            let finished = try await offload { try slow.value.readResponse() }
            #expect(finished.status == 200 && finished.text == "finished")
            try await within(5, "shutdown to complete") { await shutdown.value }
        }
    }

    @Test func shutdownIsIdempotentAndWorksBeforeStart() async throws {
        let never = try HTTPServer(configuration: HTTPServerConfiguration(port: 0), logger: testLogger) { _ in .text("") }
        await never.shutdown(gracePeriod: .seconds(1))
        #expect(throws: HTTPServerError.alreadyStarted) { try never.start() }
        let server = try startServer { _ in .text("") }
        async let first: Void = server.shutdown(gracePeriod: .seconds(1))
        async let second: Void = server.shutdown(gracePeriod: .seconds(1))
        _ = await (first, second)
        await server.shutdown(gracePeriod: .seconds(1))
    }

    @Test func releasingARunningServerStopsIt() async throws {
        let writers = Mailbox<HTTPStreamWriter>()
        var server: HTTPServer? = try startServer(logger: silentLogger) { _ in
            let (source, writer) = HTTPStreamSource.makeStream()
            writers.put(writer)
            return HTTPResponse(body: .stream(source))
        }
        let port = server?.port ?? 0
        let client = try await offload { () -> SendableBox<RawHTTPConnection> in
            let connection = try RawHTTPConnection(port: port)
            try connection.sendRequest("GET", "/")
            _ = try connection.readHead()
            return SendableBox(connection)
        }
        let writer = try await writers.take()
        server = nil  // a suspended stream must not crash MHD_stop_daemon
        #expect(server == nil)
        #expect(writer.isClosed)
        #expect(try await offload { try client.value.waitForPeerClose() })
    }
}
