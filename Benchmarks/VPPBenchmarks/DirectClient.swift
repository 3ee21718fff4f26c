import Foundation
import Synchronization
import VPPClient
import VPPCodec
import VPPJSON

/// VPPClient workloads measured in this process: request/reply round trips with N concurrent
/// callers, and one whole `sw_interface_dump`.
enum DirectClient {
    /// Connects a client (no background reconnects) to the VPP socket at `socket`.
    static func connect(_ socket: String) throws -> VPPClient {
        let config = VPPClientConfiguration(socketPath: socket, clientName: "vpp-benchmarks")
        let client = VPPClient(configuration: config, logger: ChildMode.quietLogger("bench-client"))
        try runBlocking { () async throws -> Void in try await client.connect() }
        return client
    }

    static func shutdown(_ client: VPPClient) {
        _ = try? runBlocking { await client.shutdown() }
    }

    /// What one round-trip run measured.
    struct RoundTrips: Sendable {
        var calls = 0
        var errors = 0
        var seconds = 0.0
        /// Per-call latencies in nanoseconds, sorted.
        var latencies: [UInt64] = []

        var rate: Double { Double(calls) / seconds }
        var p50: Double { Double(quantile(latencies, 0.50) ?? 0) / 1e9 }
        var p99: Double { Double(quantile(latencies, 0.99) ?? 0) / 1e9 }
    }

    /// The request body every round trip sends (the gateway forwards the same text).
    static let emptyBody: [UInt8] = Array("{}".utf8)

    /// `callers` tasks each call `show_version` back to back for `seconds`; the request goes
    /// in as JSON text, as the gateway passes an HTTP body (`call(_:json:)`).
    static func roundTrips(_ client: VPPClient, callers: Int, seconds: Double) throws -> RoundTrips {
        try runBlocking {
            let start = monotonicNanos()
            let deadline = start + UInt64(seconds * 1e9)
            var result = RoundTrips()
            await withTaskGroup(of: (Int, Int, [UInt64]).self) { group in
                for _ in 0..<callers {
                    group.addTask {
                        var calls = 0, errors = 0
                        var latencies: [UInt64] = []
                        latencies.reserveCapacity(Int(seconds * 200_000) / max(callers, 1))
                        var now = monotonicNanos()
                        while now < deadline {
                            do {
                                let reply = try await client.call("show_version", json: emptyBody)
                                if reply.retval != 0 { errors += 1 }
                            } catch {
                                errors += 1
                            }
                            let end = monotonicNanos()
                            latencies.append(end - now)
                            calls += 1
                            now = end
                        }
                        return (calls, errors, latencies)
                    }
                }
                for await (c, e, l) in group {
                    result.calls += c
                    result.errors += e
                    result.latencies += l
                }
            }
            result.seconds = Double(monotonicNanos() - start) / 1e9
            result.latencies.sort()
            return result
        }
    }

    /// How a dump is consumed.
    enum DumpStyle: String, CaseIterable, Sendable {
        /// `next(appendingTo:)`: each details message decoded straight into one JSON array,
        /// the whole body kept (what an HTTP response built in memory would hold).
        case jsonArray = "next(appendingTo:) into one JSON array"
        /// `next()`: one `DecodedMessage` at a time, each dropped after use (streaming).
        case streamed = "next() → DecodedMessage, each dropped"
        /// `collect()`: every `DecodedMessage` kept.
        case collect = "collect() → [DecodedMessage]"
    }

    struct Dump: Sendable {
        var seconds = 0.0
        var details = 0
        var jsonBytes = 0
    }

    /// One whole `sw_interface_dump`.
    static func dump(_ client: VPPClient, style: DumpStyle) throws -> Dump {
        try runBlocking { () async throws -> Dump in
            let start = monotonicNanos()
            var out = Dump()
            let stream = client.dump("sw_interface_dump")
            switch style {
            case .jsonArray:
                var writer = JSONWriter(capacity: 1 << 20)
                var it = stream.makeAsyncIterator()
                writer.raw("[")
                while true {
                    if out.details > 0 { writer.raw(",") }
                    guard try await it.next(appendingTo: &writer) else {
                        if out.details > 0 { writer.bytes.removeLast() }
                        break
                    }
                    out.details += 1
                }
                writer.raw("]")
                out.jsonBytes = writer.bytes.count
            case .streamed:
                var it = stream.makeAsyncIterator()
                while let m = try await it.next() {
                    out.details += 1
                    out.jsonBytes += m.json.count
                }
            case .collect:
                let all = try await stream.collect()
                out.details = all.count
                out.jsonBytes = all.reduce(0) { $0 + $1.json.count }
            }
            out.seconds = Double(monotonicNanos() - start) / 1e9
            return out
        }
    }
}
