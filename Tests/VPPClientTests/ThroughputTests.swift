import Foundation
import Testing
import VPPJSON
import VPPSimulator
@testable import VPPClient

/// Round trips per second through the client against the simulator (both in this process,
/// sharing the machine's cores). Off by default; run in release with
/// `VPPCLIENT_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter Throughput`.
@Suite("Throughput", .enabled(if: ProcessInfo.processInfo.environment["VPPCLIENT_BENCH"] != nil))
struct ThroughputTests {
    static func measure(_ client: VPPClient, _ name: String, callers: Int, total: Int) async throws -> Double {
        let perCaller = total / callers
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    for _ in 0..<perCaller { _ = try await client.call(name) }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = (ContinuousClock.now - start).seconds
        return Double(perCaller * callers) / elapsed
    }

    @Test("round trips per second with 1 and 64 concurrent callers")
    func roundTrips() async throws {
        try await withSimulator(interfaces: 10_000) { sim in
            try await withClient(sim) { client in
                _ = try await Self.measure(client, "control_ping", callers: 8, total: 20_000)   // warm-up
                var lines: [String] = []
                for name in ["control_ping", "show_version"] {
                    for callers in [1, 64] {
                        var best = 0.0
                        for _ in 0..<3 {
                            best = max(best, try await Self.measure(client, name, callers: callers, total: callers == 1 ? 30_000 : 200_000))
                        }
                        lines.append("\(name) callers=\(callers): \(Int(best)) round trips/s")
                    }
                }
                var dumpRate = 0.0
                for _ in 0..<3 {
                    let start = ContinuousClock.now
                    var n = 0
                    var it = client.dump("sw_interface_dump").makeAsyncIterator()
                    var writer = JSONWriter(capacity: 1 << 22)
                    while try await it.next(appendingTo: &writer) { n += 1 }
                    dumpRate = max(dumpRate, Double(n) / (ContinuousClock.now - start).seconds)
                }
                lines.append("sw_interface_dump: \(Int(dumpRate)) details/s")
                print(lines.joined(separator: "\n"))
            }
        }
    }
}
