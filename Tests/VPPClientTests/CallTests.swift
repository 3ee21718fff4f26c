import Foundation
import Synchronization
import Testing
import VPPCodec
import VPPJSON
import VPPSchema
import VPPSimulator
@testable import VPPClient

@Suite("Calls over the simulator")
struct CallTests {
    @Test("the handshake takes the client index from index and the ids from VPP's table")
    func handshakeAndIDMapping() async throws {
        try await withSimulator { sim in
            try await withClient(sim) { client in
                let session = try #require(client.session)
                #expect(session.clientIndex & 0x8000_0000 != 0, "socket handles have bit 31 set (socket_api.c:42-49)")
                #expect(session.vpePID == sim.vpePID)
                #expect(session.liveSchemaLoaded)
                #expect(session.messageCount == sim.messageTable.ids.count)
                for name in ["show_version", "sw_interface_dump", "control_ping", "want_interface_events"] {
                    #expect(session.messageID(of: name) == sim.messageTable.ids[name], "\(name)")
                }
                #expect(session.availability.status(of: "show_version") == .available(id: sim.messageTable.ids["show_version"] ?? 0))
                #expect(session.availability.missing.isEmpty)
                #expect(session.availability.mismatched.isEmpty)
                let reply = try await client.call("show_version")
                #expect(reply.message.name == "show_version_reply")
                #expect(reply.retval == 0)
                #expect(fields(reply)["version"]?.stringValue == sim.configuration.version)
                if case .connected(let s) = client.connectionState { #expect(s === session) } else {
                    Issue.record("state is not connected")
                }
            }
        }
    }

    @Test("1,000 concurrent calls each get their own reply")
    func thousandConcurrentCalls() async throws {
        try await withSimulator { sim in
            try await withClient(sim) { client in
                // get_f64_increment_by_one answers value+1: a mixed-up reply shows at once.
                let results = try await withThrowingTaskGroup(of: (Int, Double?).self) { group in
                    for i in 0..<1000 {
                        group.addTask {
                            let r = try await client.call("get_f64_increment_by_one",
                                                          object(["f64_value": .number(JSONNumber(text: "\(i).5"))]))
                            return (i, fields(r)["f64_value"]?.numberValue?.doubleValue)
                        }
                    }
                    var out: [(Int, Double?)] = []
                    for try await r in group { out.append(r) }
                    return out
                }
                #expect(results.count == 1000)
                for (i, v) in results { #expect(v == Double(i) + 1.5, "call \(i)") }

                // create_loopback with distinct MACs: each caller's sw_if_index must carry its MAC.
                let created = try await withThrowingTaskGroup(of: (String, UInt32).self) { group in
                    for i in 0..<1000 {
                        let mac = String(format: "02:00:00:00:%02x:%02x", i >> 8, i & 0xff)
                        group.addTask {
                            let r = try await client.checkedCall("create_loopback", object(["mac_address": .string(mac)]))
                            let index = fields(r)["sw_if_index"]?.numberValue?.uint64Value ?? .max
                            return (mac, UInt32(truncatingIfNeeded: index))
                        }
                    }
                    var out: [(String, UInt32)] = []
                    for try await r in group { out.append(r) }
                    return out
                }
                #expect(Set(created.map(\.1)).count == 1000)
                var macByIndex: [UInt32: String] = [:]
                for try await d in client.dump("sw_interface_dump") {
                    let f = fields(d)
                    if let i = f["sw_if_index"]?.numberValue?.uint64Value, let mac = f["l2_address"]?.stringValue {
                        macByIndex[UInt32(i)] = mac
                    }
                }
                for (mac, index) in created { #expect(macByIndex[index] == mac, "sw_if_index \(index)") }
                #expect(client.inFlightCount == 0)
            }
        }
    }

    @Test("a dump of 10,000 interfaces streams every details message, several dumps at once")
    func largeDump() async throws {
        try await withSimulator(interfaces: 10_000) { sim in
            try await withClient(sim) { client in
                var names: [String] = []
                for try await d in client.dump("sw_interface_dump") {
                    #expect(d.message.name == "sw_interface_details")
                    names.append(fields(d)["interface_name"]?.stringValue ?? "")
                }
                #expect(names.count == 10_001)
                #expect(names.first == "local0")
                #expect(names.last == "loop9999")
                // Four dumps interleaved on one socket, one of them via the zero-copy writer path.
                let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<3 {
                        group.addTask { try await client.dump("sw_interface_dump").collect().count }
                    }
                    group.addTask {
                        var writer = JSONWriter(capacity: 1 << 20)
                        var it = client.dump("sw_interface_dump").makeAsyncIterator()
                        var n = 0
                        while try await it.next(appendingTo: &writer) { n += 1; writer.raw(UInt8(ascii: "\n")) }
                        let lines = writer.bytes.split(separator: UInt8(ascii: "\n"))
                        #expect(lines.count == n)
                        #expect((try? JSONParser.parse(lines[0]))?["_msgname"]?.stringValue == "sw_interface_details")
                        return n
                    }
                    var out: [Int] = []
                    for try await c in group { out.append(c) }
                    return out
                }
                #expect(counts == [10_001, 10_001, 10_001, 10_001])
                #expect(sim.receivedCount("control_ping") >= 5)
            }
        }
    }

    @Test("a get/stream call follows the cursor while VPP answers -165 EAGAIN")
    func cursorPaging() async throws {
        try await withSimulator(interfaces: 10, streamPageSize: 3) { sim in
            try await withClient(sim) { client in
                sim.resetReceivedCounts()
                let details = try await client.dump("sw_interface_tx_placement_get",
                                                    object(["sw_if_index": int(UInt32.max)])).collect()
                // 10 loopbacks with one tx queue each; pages of 3 → 4 requests.
                #expect(details.map { fields($0)["sw_if_index"]?.numberValue?.uint64Value ?? 0 } == Array(1...10))
                #expect(sim.receivedCount("sw_interface_tx_placement_get") == 4)
                #expect(sim.receivedCount("control_ping") == 0, "get/stream ends at its reply, not a ping")

                // A final retval other than 0 and -165 ends the iteration with VPPError.retval.
                do throws(VPPError) {
                    _ = try await client.dump("sw_interface_tx_placement_get", object(["sw_if_index": int(4711)])).collect()
                    Issue.record("expected an error")
                } catch {
                    guard case .retval(let code, let name, _) = error else { Issue.record("got \(error)"); return }
                    #expect(code == -2)
                    #expect(name == "sw_interface_tx_placement_get_reply")
                    #expect(error.errorCode?.name == "INVALID_SW_IF_INDEX")
                }
            }
        }
    }

    @Test("events are delivered to every subscriber in order")
    func eventsInOrder() async throws {
        try await withSimulator(interfaces: 3) { sim in
            try await withClient(sim) { client in
                let a = client.events(named: "sw_interface_event", bufferSize: 10_000)
                let b = client.events(named: "sw_interface_event", bufferSize: 10_000)
                _ = try await client.checkedCall("want_interface_events", object(["enable_disable": int(1), "pid": int(getpid())]))
                for i in 0..<2000 {
                    try sim.emitEvent("sw_interface_event", object(["sw_if_index": int(i), "deleted": .bool(false)]))
                }
                for sub in [a, b] {
                    let got = try await within(.seconds(10), "events") {
                        var out: [UInt64] = []
                        for await e in sub {
                            guard case .message(let m) = e else { Issue.record("unexpected \(e)"); continue }
                            out.append(fields(m)["sw_if_index"]?.numberValue?.uint64Value ?? .max)
                            if out.count == 2000 { break }
                        }
                        return out
                    }
                    #expect(got == (0..<2000).map(UInt64.init))
                    #expect(sub.droppedCount == 0)
                }
                // A second registration is refused by VPP with -31; call returns it, checkedCall throws.
                let again = try await client.call("want_interface_events", object(["enable_disable": int(1), "pid": int(1)]))
                #expect(again.retval == -31)
                await #expect(throws: VPPError.self) {
                    _ = try await client.checkedCall("want_interface_events", object(["enable_disable": int(1)]))
                }
            }
        }
    }

    @Test("a slow event subscriber loses the newest events, counted and marked, without stalling calls")
    func eventOverflow() async throws {
        try await withSimulator(interfaces: 2) { sim in
            try await withClient(sim) { client in
                let slow = client.events(named: "sw_interface_event", bufferSize: 10)
                _ = try await client.checkedCall("want_interface_events", object(["enable_disable": int(1)]))
                sim.floodEvents(count: 500)
                try await waitUntil(.seconds(10), "events to be counted") { slow.deliveredCount + slow.droppedCount == 500 }
                #expect(slow.droppedCount == 490)
                _ = try await client.call("show_version")   // the reader kept going
                var items: [VPPEvent] = []
                for await e in slow {
                    items.append(e)
                    if items.count == 11 { break }
                }
                #expect(items.prefix(10).allSatisfy { if case .message = $0 { true } else { false } })
                if case .overflow(let n) = items.last { #expect(n == 490) } else { Issue.record("no overflow marker") }
            }
        }
    }

    @Test("a message with an unknown id times out cleanly and the connection stays usable")
    func unknownIDTimesOut() async throws {
        try await withSimulator { sim in
            try await withClient(sim) { client in
                let start = ContinuousClock.now
                do throws(VPPError) {
                    // Id 0xFFF0 is in nobody's table; VPP drops it silently (api_shared.c:570).
                    _ = try await client.sendRaw([0xFF, 0xF0, 0, 0, 0, 0, 0, 0, 0, 0], timeout: .milliseconds(300))
                    Issue.record("expected a timeout")
                } catch {
                    guard case .timeout = error else { Issue.record("got \(error)"); return }
                }
                let elapsed = ContinuousClock.now - start
                #expect(elapsed >= .milliseconds(290) && elapsed < .seconds(3))
                #expect(client.inFlightCount == 0)
                #expect(sim.receivedCount("<unknown>") == 1)
                #expect(try await client.call("show_version").retval == 0)
                // A raw request with a known id is answered and decodable.
                let id = try #require(client.session?.messageID(of: "show_version"))
                let raw = try #require(try await client.sendRaw([UInt8(id >> 8), UInt8(id & 0xff), 0, 0, 0, 0, 0, 0, 0, 0]))
                #expect(try client.session?.decode(raw).message.name == "show_version_reply")
            }
        }
    }

    @Test("misuse is refused with clear errors before anything is sent")
    func refusals() async throws {
        try await withSimulator { sim in
            let notStarted = VPPClient(configuration: clientConfiguration(sim), logger: quietLogger("c"))
            await #expect(throws: VPPError.self) { _ = try await notStarted.call("show_version") }
            do throws(VPPError) { _ = try await notStarted.call("show_version") } catch { #expect(error.description.contains("not connected")) }
            try await withClient(sim) { client in
                func expectError(_ op: () async throws(VPPError) -> Void, _ check: (VPPError) -> Bool) async {
                    do throws(VPPError) {
                        try await op()
                        Issue.record("expected an error")
                    } catch {
                        #expect(check(error), "\(error)")
                    }
                }
                await expectError({ () async throws(VPPError) in _ = try await client.call("no_such_message") }) {
                    if case .messageUnavailable(_, .notInSchema) = $0 { true } else { false }
                }
                await expectError({ () async throws(VPPError) in _ = try await client.call("sw_interface_dump") }) {
                    if case .wrongPattern = $0 { true } else { false }
                }
                await expectError({ () async throws(VPPError) in _ = try await client.dump("show_version").collect() }) {
                    if case .wrongPattern = $0 { true } else { false }
                }
                await expectError({ () async throws(VPPError) in _ = try await client.call("create_loopback", object(["mac_address": .string("nope")])) }) {
                    if case .invalidRequest(_, let e) = $0 { e.path == "/mac_address" } else { false }
                }
                await expectError({ () async throws(VPPError) in _ = try await client.call("show_version", json: Array("{bad".utf8)) }) {
                    if case .invalidRequest = $0 { true } else { false }
                }
                let ok = try await client.call("show_version", json: Array("{}".utf8))
                #expect(ok.retval == 0)
            }
        }
    }

    @Test("the completion form answers each call exactly once: reply, retval, timeout, disconnection")
    func completionCalls() async throws {
        try await withSimulator(interfaces: 2) { sim in
            try await withClient(sim) { client in
                let results = Results()
                let outsideAnyTask = Mutex(false)
                try client.call("show_version", json: Array("{}".utf8)) { result in
                    // Called on the reader thread itself, not in a task.
                    outsideAnyTask.withLock { $0 = withUnsafeCurrentTask { $0 == nil } }
                    results.put(result)
                }
                let reply = try await results.take().get()
                #expect(reply.message.name == "show_version_reply" && reply.retval == 0)
                #expect(outsideAnyTask.withLock { $0 })
                // A non-zero retval is a reply, not an error: the caller decides.
                try client.call("sw_interface_set_flags", object(["sw_if_index": int(99), "flags": .string("IF_STATUS_API_FLAG_ADMIN_UP")])) { results.put($0) }
                #expect(try await results.take().get().retval == -2)
                // Failures before sending are thrown, and nothing is sent.
                let sent = sim.receivedCount("show_version")
                #expect(throws: VPPError.self) { try client.call("show_version", json: Array("{bad".utf8)) { results.put($0) } }
                #expect(throws: VPPError.self) { try client.call("sw_interface_dump", json: Array("{}".utf8)) { results.put($0) } }
                #expect(sim.receivedCount("show_version") == sent)
                // No reply: a timeout, once.
                sim.faults.dropReplies(to: "show_version")
                try client.call("show_version", json: Array("{}".utf8), timeout: .milliseconds(200)) { results.put($0) }
                guard case .failure(.timeout) = try await results.take() else { Issue.record("expected a timeout"); return }
                // Waiting when the connection drops: failed at once.
                sim.faults.delayReplies(to: "show_version", by: .seconds(30))
                try client.call("show_version", json: Array("{}".utf8)) { results.put($0) }
                sim.closeAllConnections()
                guard case .failure(let error) = try await results.take() else { Issue.record("expected a failure"); return }
                if case .disconnected = error {} else { Issue.record("expected .disconnected, got \(error)") }
                try await Task.sleep(for: .milliseconds(300))
                #expect(results.count == 0)
            }
        }
    }
}

/// Completion results, awaited one by one (each wait bounded).
private final class Results: Sendable {
    private let state = Mutex<[Result<DecodedMessage, VPPError>]>([])

    func put(_ result: Result<DecodedMessage, VPPError>) { state.withLock { $0.append(result) } }

    var count: Int { state.withLock { $0.count } }

    func take() async throws -> Result<DecodedMessage, VPPError> {
        try await within(.seconds(10), "a completion") {
            while true {
                if let r = self.state.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return r }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }
}
