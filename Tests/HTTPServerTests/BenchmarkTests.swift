import VPPTestSupport
import Foundation
import HTTPServer
import Testing

/// Throughput with `wrk`, off by default: `HTTPSERVER_BENCH=1 swift test
/// --filter HTTPServerTests.Benchmark` (build with `-c release` for real numbers).
@Suite("Benchmark", .serialized, .enabled(if: ProcessInfo.processInfo.environment["HTTPSERVER_BENCH"] == "1"))
struct BenchmarkTests {
    @Test(arguments: [0, 2])
    func trivialHandlerThroughputWithWrk(threadPoolSize: Int) async throws {
        let server = try startServer({ $0.threadPoolSize = threadPoolSize }) { _ in
            HTTPResponse(status: 200, contentType: "text/plain", body: "ok")
        }
        let url = "http://127.0.0.1:\(server.port)/"
        let output = try await offload { () -> String in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
            process.arguments = ["-t2", "-c64", "-d5s", url]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        print("wrk, threadPoolSize=\(threadPoolSize):\n\(output)")
        #expect(output.contains("Requests/sec"))
        await server.shutdown(gracePeriod: .seconds(2))
    }
}
