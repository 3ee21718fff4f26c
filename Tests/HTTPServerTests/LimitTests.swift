import VPPTestSupport
import HTTPServer
import Testing

@Suite("Request limits")
struct LimitTests {
    @Test func declaredBodyOverLimitGets413WithoutCallingHandler() async throws {
        let calls = Counter()
        let server = try startServer({ $0.maxBodySize = 1024 }) { _ in
            calls.increment()
            return .text("handled")
        }
        let port = server.port
        let (tooLarge, atLimit) = try await offload {
            let tooLarge = try RawHTTPConnection(port: port).request("POST", "/x", body: [UInt8](repeating: 65, count: 2048))
            let atLimit = try RawHTTPConnection(port: port).request("POST", "/x", body: [UInt8](repeating: 65, count: 1024))
            return (tooLarge, atLimit)
        }
        #expect(tooLarge.status == 413)
        #expect(tooLarge.header("content-type") == "application/problem+json")
        #expect(tooLarge.text.contains("\"type\":\"https://vpp-gateway.dev/problems/body-too-large\""))
        #expect(tooLarge.text.contains("\"status\":413"))
        #expect(atLimit.status == 200)
        #expect(calls.value == 1)
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func chunkedBodyOverLimitGets413WithoutCallingHandler() async throws {
        let calls = Counter()
        let server = try startServer({ $0.maxBodySize = 1024 }) { _ in
            calls.increment()
            return .text("handled")
        }
        let port = server.port
        let response = try await offload {
            let connection = try RawHTTPConnection(port: port)
            try connection.send("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
            for _ in 0..<3 {
                try connection.send("200\r\n" + String(repeating: "b", count: 512) + "\r\n")
            }
            try connection.send("0\r\n\r\n")
            return try connection.readResponse()
        }
        #expect(response.status == 413)
        #expect(response.header("content-type") == "application/problem+json")
        #expect(calls.value == 0)
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func oversizedHeadersAreRejectedWithoutCallingHandler() async throws {
        let calls = Counter()
        let server = try startServer({ $0.connectionMemoryLimit = 16 * 1024 }) { _ in
            calls.increment()
            return .text("handled")
        }
        let port = server.port
        let (rejected, fine) = try await offload {
            let huge = String(repeating: "h", count: 32 * 1024)
            let rejected = try RawHTTPConnection(port: port).request("GET", "/", headers: [("X-Huge", huge)])
            let fine = try RawHTTPConnection(port: port).request("GET", "/", headers: [("X-Small", "s")])
            return (rejected, fine)
        }
        #expect(rejected.status == 431)
        #expect(fine.status == 200)
        #expect(calls.value == 1)
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func invalidConfigurationIsRejectedBeforeBinding() {
        #expect(throws: HTTPServerError.self) {
            _ = try HTTPServer(configuration: HTTPServerConfiguration(host: "not-an-ip")) { _ in .text("") }
        }
        #expect(throws: HTTPServerError.self) {
            _ = try HTTPServer(configuration: HTTPServerConfiguration(connectionMemoryLimit: 10)) { _ in .text("") }
        }
    }

    @Test func portInUseFailsToStart() async throws {
        let first = try startServer { _ in .text("") }
        let second = try HTTPServer(configuration: HTTPServerConfiguration(port: first.port), logger: testLogger) { _ in .text("") }
        #expect(throws: HTTPServerError.self) { try second.start() }
        await first.shutdown(gracePeriod: .seconds(1))
    }
}
