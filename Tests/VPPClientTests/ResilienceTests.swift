import Foundation
import Synchronization
import Testing
import VPPCodec
import VPPJSON
import VPPSchema
import VPPSimulator
import VPPTestSupport
@testable import VPPClient

/// Runs `count` calls of `name` concurrently and returns how each ended.
func concurrentCalls(_ client: VPPClient, _ name: String, count: Int, timeout: Duration = .seconds(30))
    -> Task<[Result<DecodedMessage, VPPError>], Never> {
    Task {
        await withTaskGroup(of: Result<DecodedMessage, VPPError>.self) { group in
            for _ in 0..<count {
                group.addTask {
                    do throws(VPPError) { return .success(try await client.call(name, timeout: timeout)) } catch { return .failure(error) }
                }
            }
            var out: [Result<DecodedMessage, VPPError>] = []
            for await r in group { out.append(r) }
            return out
        }
    }
}

final class Registrations: Sendable {
    let count = Atomic<Int>(0)
}

@Suite("Reconnects, liveness and shutdown")
struct ResilienceTests {
    @Test("a VPP restart mid-call fails in-flight calls at once; the client reconnects with the new ids")
    func restartMidCall() async throws {
        try await withSimulator { sim in
            try await withClient(sim, start: true) { client in
                let recorder = StateRecorder(client)
                let old = try #require(client.session)
                let oldIDs = Dictionary(uniqueKeysWithValues: ["show_version", "sw_interface_dump", "create_loopback", "ip_address_dump"]
                    .map { ($0, old.messageID(of: $0)) })
                sim.faults.delayReplies(to: "show_version", by: .seconds(20))
                let calls = concurrentCalls(client, "show_version", count: 50)
                try await waitUntil(.seconds(5), "calls in flight") { client.inFlightCount == 50 }
                sim.faults.clear()
                let restartedAt = ContinuousClock.now
                sim.restart(reorderModules: true)
                let results = try await within(.seconds(5), "failed calls") { await calls.value }
                // "At once": long before the 20 s delay or the 30 s call timeout (the bound is
                // loose because the suites run in parallel on two cores).
                #expect(ContinuousClock.now - restartedAt < .seconds(5), "in-flight calls must fail at once")
                for r in results {
                    guard case .failure(.disconnected) = r else { Issue.record("expected .disconnected, got \(r)"); continue }
                }
                try await waitUntil(.seconds(10), "reconnect") {
                    if let s = client.session, s !== old { return true }
                    return false
                }
                let new = try #require(client.session)
                #expect(new.vpePID != old.vpePID)
                var changed = 0
                for (name, id) in oldIDs {
                    #expect(new.messageID(of: name) == sim.messageTable.ids[name], "\(name)")
                    if new.messageID(of: name) != id { changed += 1 }
                }
                #expect(changed > 0, "the simulator reordered its modules, so some ids must differ")
                let reply = try await client.call("show_version")
                #expect(reply.retval == 0)
                try await waitUntil(.seconds(2), "state history") {
                    recorder.count { if case .connected = $0 { true } else { false } } >= 2
                }
                #expect(recorder.count {
                    switch $0 {
                    case .disconnected(.endOfFile), .disconnected(.socketError): true
                    default: false
                    }
                } >= 1, "\(recorder.all)")
            }
        }
    }

    @Test("event subscriptions survive a restart; re-registering on .connected resumes delivery")
    func eventsAcrossRestart() async throws {
        try await withSimulator(interfaces: 2) { sim in
            try await withClient(sim, start: true) { client in
                let events = client.events(named: "sw_interface_event")
                let states = client.stateChanges()
                let registrations = Registrations()
                // The upper layer's job, as VPPEvents does it: (re-)register on every .connected.
                let registrar = Task {
                    for await state in states {
                        guard case .connected = state else { continue }
                        if (try? await client.checkedCall("want_interface_events", object(["enable_disable": int(1)]))) != nil {
                            registrations.count.add(1, ordering: .relaxed)
                        }
                    }
                }
                defer { registrar.cancel() }
                try await waitUntil(.seconds(5), "registration") { registrations.count.load(ordering: .relaxed) == 1 }
                try sim.emitEvent("sw_interface_event", object(["sw_if_index": int(1)]))
                // (What VPP had queued but not sent is lost in a restart: wait for it first.)
                try await waitUntil(.seconds(5), "first event") { events.deliveredCount == 1 }
                let old = client.session
                sim.restart(reorderModules: true)
                try await waitUntil(.seconds(10), "re-registration after restart") {
                    client.session !== old && registrations.count.load(ordering: .relaxed) == 2
                }
                try sim.emitEvent("sw_interface_event", object(["sw_if_index": int(2)]))
                let got = try await within(.seconds(5), "events") {
                    var out: [UInt64] = []
                    for await e in events {
                        if case .message(let m) = e { out.append(fields(m)["sw_if_index"]?.numberValue?.uint64Value ?? 0) }
                        if out.count == 2 { break }
                    }
                    return out
                }
                #expect(got == [1, 2], "the event after the restart arrives under its new message id")
            }
        }
    }

    @Test("calls fail fast with notConnected while VPP is away, and work again when it is back")
    func failFastWhileDisconnected() async throws {
        let path = tempSocketPath()
        let config = SimulatorConfiguration(socketPath: path)
        let first = try VPPSimulator(configuration: config, logger: quietLogger("sim"))
        try first.start()
        let client = VPPClient(configuration: clientConfiguration(first) {
            $0.reconnect = ReconnectPolicy(initialDelay: .milliseconds(20), maxDelay: .milliseconds(100))
        }, logger: quietLogger("client"))
        await client.start()
        #expect(client.session != nil)
        await first.stop()
        try await waitUntil(.seconds(5), "disconnect") { client.session == nil }
        let start = ContinuousClock.now
        do throws(VPPError) {
            _ = try await client.call("show_version")
            Issue.record("expected notConnected")
        } catch {
            guard case .notConnected = error else { Issue.record("got \(error)"); return }
        }
        #expect(ContinuousClock.now - start < .milliseconds(100))
        let second = try VPPSimulator(configuration: config, logger: quietLogger("sim"))
        try second.start()
        try await waitUntil(.seconds(10), "reconnect") { client.session != nil }
        #expect(try await client.call("show_version").retval == 0)
        await client.shutdown()
        await second.stop()
    }

    @Test("liveness does not misfire while a reply is delayed several seconds behind a busy VPP")
    func livenessToleratesSlowReplies() async throws {
        try await withSimulator { sim in
            try await withClient(sim, start: true, {
                $0.liveness = LivenessPolicy(idleBeforePing: .milliseconds(100), deadAfterSilence: .seconds(6))
            }) { client in
                let recorder = StateRecorder(client)
                let session = client.session
                sim.resetReceivedCounts()
                // Everything the simulator sends this client queues behind the delayed reply,
                // as it would behind a long handler on VPP's main thread.
                sim.faults.delayReplies(to: "show_version", by: .seconds(3))
                let start = ContinuousClock.now
                let reply = try await client.call("show_version", timeout: .seconds(20))
                #expect(ContinuousClock.now - start >= .seconds(3))
                #expect(reply.retval == 0)
                #expect(sim.receivedCount("control_ping") >= 1, "a liveness ping was outstanding meanwhile")
                #expect(client.session === session)
                #expect(recorder.count { if case .disconnected = $0 { true } else { false } } == 0)
            }
        }
    }

    @Test("a VPP that sends nothing at all while a ping is outstanding is declared dead and reconnected")
    func livenessDetectsSilence() async throws {
        try await withSimulator { sim in
            try await withClient(sim, start: true, {
                $0.liveness = LivenessPolicy(idleBeforePing: .milliseconds(100), deadAfterSilence: .milliseconds(700))
                // A reconnect attempt made while the fault is still on must give up quickly.
                $0.handshakeTimeout = .seconds(1)
            }) { client in
                let recorder = StateRecorder(client)
                let old = try #require(client.session)
                sim.faults.delayReplies(by: .seconds(60))
                let calls = concurrentCalls(client, "show_version", count: 3)
                let results = try await within(.seconds(5), "unresponsive verdict") { await calls.value }
                for r in results {
                    guard case .failure(.disconnected(.unresponsive)) = r else { Issue.record("got \(r)"); continue }
                }
                sim.faults.clear()
                try await waitUntil(.seconds(10), "reconnect") {
                    if let s = client.session, s !== old { return true }
                    return false
                }
                #expect(recorder.count { if case .disconnected(.unresponsive) = $0 { true } else { false } } == 1)
                #expect(sim.receivedCount("sockclnt_delete") == 1, "giving up on VPP still says sockclnt_delete")
                #expect(try await client.call("show_version").retval == 0)
            }
        }
    }

    @Test("a liveness ping VPP never answers while it answers other messages is replaced, not taken for death")
    func aLostLivenessPingIsReplaced() async throws {
        // VPP loses client messages while a CLI `ping` runs in its API process (ping.c:1286-1316
        // drops the SOCKET_READ_EVENTs); a dropped control_ping reply looks the same to us.
        try await withSimulator { sim in
            try await withClient(sim, start: true, {
                $0.liveness = LivenessPolicy(idleBeforePing: .milliseconds(100), deadAfterSilence: .milliseconds(700))
            }) { client in
                let recorder = StateRecorder(client)
                let session = client.session
                sim.resetReceivedCounts()
                sim.faults.dropReplies(to: "control_ping")
                try await waitUntil(.seconds(5), "a liveness ping sent") { sim.receivedCount("control_ping") >= 1 }
                sim.faults.clear()
                // VPP answers other messages after the lost ping…
                #expect(try await client.call("show_version").retval == 0)
                // …then the gateway is idle for longer than deadAfterSilence.
                try await Task.sleep(for: .seconds(2))
                #expect(sim.receivedCount("control_ping") >= 2, "the lost ping was replaced")
                #expect(client.session === session)
                #expect(recorder.count { if case .disconnected = $0 { true } else { false } } == 0)
            }
        }
    }

    @Test("a changed vpe_pid in a liveness ping reply is treated as a restart")
    func vpePIDChangeReconnects() async throws {
        try await withSimulator { sim in
            try await withClient(sim, start: true, {
                $0.liveness = LivenessPolicy(idleBeforePing: .milliseconds(100), deadAfterSilence: .seconds(10))
            }) { client in
                let recorder = StateRecorder(client)
                sim.vpePID = 424_242
                try await waitUntil(.seconds(10), "reconnect to the 'new' VPP") { client.session?.vpePID == 424_242 }
                #expect(recorder.count {
                    if case .disconnected(.vppRestarted(_, 424_242)) = $0 { true } else { false }
                } == 1)
                try await waitUntil(.seconds(5), "goodbye on the old connection") { sim.receivedCount("sockclnt_delete") == 1 }
            }
        }
    }

    @Test("shutdown sends sockclnt_delete, fails in-flight calls, and ends state streams")
    func shutdownSendsDelete() async throws {
        try await withSimulator { sim in
            let client = VPPClient(configuration: clientConfiguration(sim), logger: quietLogger("client"))
            await client.start()
            let states = client.stateChanges()
            let events = client.events(named: "sw_interface_event")
            sim.resetReceivedCounts()
            sim.faults.dropReplies(to: "show_version")
            let calls = concurrentCalls(client, "show_version", count: 5)
            try await waitUntil(.seconds(5), "calls in flight") { client.inFlightCount == 5 }
            try await within(.seconds(5), "shutdown") { await client.shutdown() }
            #expect(sim.receivedCount("sockclnt_delete") == 1)
            for r in try await within(.seconds(2), "calls", { await calls.value }) {
                guard case .failure(.shutdown) = r else { Issue.record("got \(r)"); continue }
            }
            let seen = try await within(.seconds(2), "state stream end") {
                var n = 0
                for await _ in states { n += 1 }
                return n
            }
            #expect(seen >= 1)
            let ended = try await within(.seconds(2), "event stream end") {
                for await _ in events {}
                return true
            }
            #expect(ended)
            await #expect(throws: VPPError.self) { _ = try await client.call("show_version") }
            try await Task.sleep(for: .milliseconds(50))
            #expect(sim.receivedCount("sockclnt_create") == 0, "no reconnect after shutdown")
        }
    }

    @Test("a connected client dropped without shutdown still says sockclnt_delete")
    func deinitSaysGoodbye() async throws {
        try await withSimulator { sim in
            do {
                let client = VPPClient(configuration: clientConfiguration(sim), logger: quietLogger("client"))
                try await client.connect()
                #expect(try await client.call("show_version").retval == 0)
            }
            try await waitUntil(.seconds(5), "sockclnt_delete") { sim.receivedCount("sockclnt_delete") == 1 }
        }
    }

    @Test("a dump whose consumer falls too far behind fails with streamOverflow; the socket keeps flowing")
    func dumpOverflow() async throws {
        try await withSimulator(interfaces: 3000) { sim in
            try await withClient(sim, { $0.maxBufferedDetails = 100 }) { client in
                var it = client.dump("sw_interface_dump").makeAsyncIterator()
                let first = try await it.next()
                #expect(first != nil)
                try await Task.sleep(for: .milliseconds(500))   // a stalled consumer
                do throws(VPPError) {
                    while try await it.next() != nil {}
                    Issue.record("expected an overflow")
                } catch {
                    guard case .streamOverflow(_, 100) = error else { Issue.record("got \(error)"); return }
                }
                #expect(try await client.call("show_version").retval == 0)
                let one = try await client.dump("sw_interface_dump", object(["sw_if_index": int(5)])).collect()
                #expect(one.count == 1)
            }
        }
    }

    @Test("messages whose CRC differs from the schema are reported and refused")
    func schemaSkew() async throws {
        // A copy of VPP 26.06's core API with show_version's CRC altered.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vppc-skew-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let core = SharedData.api2606 + "/core"
        for file in try FileManager.default.contentsOfDirectory(atPath: core) where file.hasSuffix(".api.json") {
            var text = try String(contentsOfFile: core + "/" + file, encoding: .utf8)
            // Only the message's own "crc" (header-only requests share one CRC).
            func alterCRC(of message: String) throws {
                let start = try #require(text.range(of: "\"\(message)\","))
                let crc = try #require(text.range(of: "\"crc\": \"0x", range: start.upperBound..<text.endIndex))
                let value = crc.upperBound..<text.index(crc.upperBound, offsetBy: 8)
                text.replaceSubrange(value, with: "0badc0de")
            }
            if file == "vpe.api.json" { try alterCRC(of: "show_version") }
            if file == "vlib.api.json" { try alterCRC(of: "show_threads_reply") }
            try text.write(to: dir.appendingPathComponent(file), atomically: true, encoding: .utf8)
        }
        try await withSimulator { sim in
            let liveCRC = try #require(sim.schema.message("show_version")?.crc)
            try await withClient(sim, { $0.apiDirectories = [dir.path]; $0.fetchLiveSchema = false }) { client in
                let session = try #require(client.session)
                #expect(!session.liveSchemaLoaded)
                #expect(session.availability.status(of: "show_version") == .crcMismatch(schemaCRC: "0badc0de", vppCRC: liveCRC))
                #expect(Set(session.availability.mismatched.map(\.name)) == ["show_version", "show_threads_reply"])
                #expect(session.availability.status(of: "bfd_udp_add") == .missing, "plugins the simulator lacks are missing")
                #expect(session.messageID(of: "show_version") == nil)
                do throws(VPPError) {
                    _ = try await client.call("show_version")
                    Issue.record("expected a refusal")
                } catch {
                    guard case .messageUnavailable("show_version", .crcMismatch("0badc0de", liveCRC)) = error else {
                        Issue.record("got \(error)")
                        return
                    }
                    #expect(error.description.contains("CRC mismatch"))
                }
                do throws(VPPError) {
                    _ = try await client.call("bfd_udp_add")
                    Issue.record("expected a refusal")
                } catch {
                    guard case .messageUnavailable(_, .missingInVPP) = error else { Issue.record("got \(error)"); return }
                }
                // The request matches but its reply does not: refused too, since the answer
                // could not be read (and the request may have side effects).
                #expect(session.messageID(of: "show_threads") != nil)
                do throws(VPPError) {
                    _ = try await client.call("show_threads")
                    Issue.record("expected a refusal")
                } catch {
                    guard case .messageUnavailable("show_threads", .answerUnavailable("show_threads_reply", .crcMismatch)) = error else {
                        Issue.record("got \(error)")
                        return
                    }
                }
                #expect(sim.receivedCount("show_version") == 0, "a refused message is never sent")
                #expect(sim.receivedCount("show_threads") == 0, "a refused message is never sent")
                #expect(try await client.call("control_ping").retval == 0)
            }
            // With VPP's own schema (get_api_json) the live definition wins over the stale file.
            try await withClient(sim, { $0.apiDirectories = [dir.path] }) { client in
                let session = try #require(client.session)
                #expect(session.liveSchemaLoaded)
                #expect(session.availability.status(of: "show_version") == .available(id: sim.messageTable.ids["show_version"] ?? 0))
                #expect(try await client.call("show_version").retval == 0)
            }
        }
    }
}
