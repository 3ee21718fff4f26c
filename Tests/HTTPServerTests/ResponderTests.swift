import VPPTestSupport
import Foundation
import HTTPServer
import Synchronization
import Testing

/// The task-free handler form: answers given on the polling thread, from another thread
/// while the handler still runs, or much later.
@Suite("Responder handlers")
struct ResponderTests {
    private static func start(_ handler: @escaping HTTPResponderHandler) throws -> HTTPServer {
        let server = try HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0),
                                    logger: testLogger, responder: handler)
        try server.start()
        return server
    }

    @Test func answersGivenBeforeTheHandlerReturnsAreSentOnKeepAlive() async throws {
        let server = try Self.start { request, responder in
            responder.respond(.text("now " + request.path))
        }
        let port = server.port
        let responses = try await offload {
            let connection = try RawHTTPConnection(port: port)
            return try (0..<50).map { try connection.request("GET", "/r\($0)") }
        }
        #expect(responses.map(\.status) == Array(repeating: 200, count: 50))
        #expect(responses.map(\.text) == (0..<50).map { "now /r\($0)" })
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func answersFromAnotherThreadAtAnyMomentAreSentOnce() async throws {
        // Some answers race the handler's return, others come after the connection was
        // suspended; a second answer is ignored.
        let server = try Self.start { request, responder in
            let delay = Int(request.path.dropFirst()) ?? 0
            let thread = Thread {
                if delay > 0 { usleep(UInt32(delay % 3) * 2_000) }
                responder.respond(.text("late " + request.path))
                responder.respond(.text("twice"))
            }
            thread.start()
        }
        let port = server.port
        let responses = try await offload {
            let connection = try RawHTTPConnection(port: port)
            return try (0..<60).map { try connection.request("GET", "/\($0)") }
        }
        #expect(responses.map(\.status) == Array(repeating: 200, count: 60))
        #expect(responses.map(\.text) == (0..<60).map { "late /\($0)" })
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func shutdownAnswersRequestsWhoseResponderNeverAnswers() async throws {
        let seen = Counter()
        let server = try Self.start { _, _ in seen.increment() }
        let port = server.port
        let pending = Task {
            try await offload { try RawHTTPConnection(port: port, timeout: 10).request("GET", "/never") }
        }
        while seen.value == 0 { try await Task.sleep(for: .milliseconds(10)) }
        await server.shutdown(gracePeriod: .milliseconds(500))
        let response = try await pending.value
        #expect(response.status == 503)
    }
}
