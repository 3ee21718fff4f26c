import Foundation
import Gateway
import Testing
import VPPJSON
import VPPSimulator
import VPPTestSupport

/// Server-Sent Events over one shared VPP registration, against the simulator.
@Suite(.serialized) struct EventRouteTests {
    static func fast(_ c: inout GatewayConfiguration) {
        c.events.heartbeatInterval = .milliseconds(100)
        c.events.linger = .milliseconds(100)
    }

    @Test func twoHundredSubscribersShareOneRegistrationAndGetEveryEventInOrder() async throws {
        try await GatewayHarness.run(interfaces: 5, configure: Self.fast) { h in
            let streams = try await withThrowingTaskGroup(of: SSEStream.self) { group in
                for _ in 0..<200 { group.addTask { try await h.events("/v1/events/sw_interface_event") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(streams.allSatisfy { $0.status == 200 })
            // An event stream has no end but the connection's: no chunked framing, so the
            // server's writer threads send each frame straight to the socket.
            #expect(streams.allSatisfy { !$0.head.isChunked && $0.head.header("connection") == "close" })
            #expect(streams.allSatisfy { $0.head.header("content-type") == "text/event-stream" })
            #expect(h.simulator.receivedCount("want_interface_events") == 1)
            for i in 1...5 {
                _ = try await h.post("/v1/sw_interface_set_flags", #"{"sw_if_index":\#(i),"flags":["IF_STATUS_API_FLAG_ADMIN_UP"]}"#)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for s in streams {
                    group.addTask {
                        let items = try await s.next(5)
                        #expect(items.map { $0.json?["sw_if_index"]?.numberValue?.int64Value } == [1, 2, 3, 4, 5])
                        #expect(items.allSatisfy { $0.event == "sw_interface_event" })
                        let ids = items.compactMap { $0.id.flatMap(UInt64.init) }
                        #expect(ids.count == 5 && zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
                    }
                }
                try await group.waitForAll()
            }
            #expect(h.simulator.receivedCount("want_interface_events") == 1)
            for s in streams { s.close() }
            // The last departure disables the registration (after heartbeats notice and the linger).
            try await h.waitUntil("registration disabled") { h.simulator.receivedCount("want_interface_events") == 2 }
            try await h.waitUntil("no registrations") { await h.gateway.hub.statistics().registrations == 0 }
        }
    }

    @Test func filtersApplyPerSubscriber() async throws {
        try await GatewayHarness.run(interfaces: 3, configure: Self.fast) { h in
            let all = try await h.events("/v1/events/sw_interface_event")
            let two = try await h.events("/v1/events/sw_interface_event?sw_if_index=2")
            let up = try await h.events("/v1/events/sw_interface_event?flags=IF_STATUS_API_FLAG_ADMIN_UP")
            // Up, up, down: three state changes, three events (a set to the current state is none).
            _ = try await h.post("/v1/sw_interface_set_flags", #"{"sw_if_index":1,"flags":1}"#)
            _ = try await h.post("/v1/sw_interface_set_flags", #"{"sw_if_index":2,"flags":1}"#)
            _ = try await h.post("/v1/sw_interface_set_flags", #"{"sw_if_index":2,"flags":0}"#)
            #expect(try await all.next(3).map { $0.json?["sw_if_index"]?.numberValue?.int64Value } == [1, 2, 2])
            let onlyTwo = try await two.next(2)
            #expect(onlyTwo.allSatisfy { $0.json?["sw_if_index"]?.numberValue?.int64Value == 2 })
            #expect(onlyTwo.last?.json?["flags"] == .array([]))
            // A flag filter matches events carrying that flag: both "up" events, not the "down".
            let ups = try await up.next(2)
            #expect(ups.map { $0.json?["sw_if_index"]?.numberValue?.int64Value } == [1, 2])
            #expect(h.simulator.receivedCount("want_interface_events") == 1)
            let bad = try await h.get("/v1/events/sw_interface_event?no_such_field=1")
            #expect(bad.status == 400)
            #expect(try JSONParser.parse(bad.body)["pointer"] == .string("/no_such_field"))
            let notEvent = try await h.get("/v1/events/show_version")
            #expect(notEvent.status == 404)
            for s in [all, two, up] { s.close() }
        }
    }

    @Test func lastEventIDReplaysFromTheRingAndReportsAGapWhenTooOld() async throws {
        try await GatewayHarness.run(interfaces: 3, configure: {
            Self.fast(&$0)
            $0.events.ringCapacity = 4
        }) { h in
            let first = try await h.events("/v1/events/sw_interface_event")
            for i in 1...3 { _ = try await h.post("/v1/sw_interface_set_flags", #"{"sw_if_index":\#(i),"flags":1}"#) }
            let seen = try await first.next(3)
            first.close()
            // Resume after the first: the two later events are replayed.
            let resumed = try await h.events("/v1/events/sw_interface_event", headers: [("Last-Event-ID", seen[0].id ?? "")])
            let replayed = try await resumed.next(2)
            #expect(replayed.map(\.id) == [seen[1].id, seen[2].id])
            resumed.close()
            // Push the first events out of the 4-event ring, then resume from the first: a gap.
            for i in 1...3 { _ = try await h.post("/v1/sw_interface_set_flags", #"{"sw_if_index":\#(i),"flags":0}"#) }
            try await Task.sleep(for: .milliseconds(100))
            let late = try await h.events("/v1/events/sw_interface_event?last_event_id=\(seen[0].id ?? "")")
            let gap = try await late.next()
            #expect(gap.event == "gap")
            #expect(gap.json?["last_event_id"]?.numberValue?.uint64Value == UInt64(seen[0].id ?? ""))
            #expect(gap.json?["reason"] == .string("too-old"))
            // An id this gateway never gave out (later than any it did).
            let stranger = try await h.events("/v1/events/sw_interface_event?last_event_id=18446744073709551000")
            let unknown = try await stranger.next()
            #expect(unknown.event == "gap" && unknown.json?["reason"] == .string("unknown-id"))
            stranger.close()
            let bad = try await h.get("/v1/events/sw_interface_event", headers: [("Last-Event-ID", "yesterday")])
            #expect(bad.status == 400)
            late.close()
        }
    }

    @Test func aStalledSubscriberGetsOverflowWhileOthersKeepUp() async throws {
        try await GatewayHarness.run(interfaces: 3, configure: {
            Self.fast(&$0)
        }) { h in
            // More than loopback TCP can buffer for a client that never reads (the kernel's
            // send buffer autotunes to 4 MiB): 30,000 events of ~200 bytes.
            let stalled = try await h.events("/v1/events/sw_interface_event", receiveBuffer: 4096)
            let healthy = try await h.events("/v1/events/sw_interface_event")
            let reader = Task { try await healthy.next(30_000) }
            h.simulator.floodEvents(count: 30_000, ratePerSecond: 5_000)
            let got = try await reader.value
            #expect(got.count == 30_000)
            let ids = got.compactMap { $0.id.flatMap(UInt64.init) }
            #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 + 1 == $1 }, "the reading subscriber lost nothing")
            #expect(got.allSatisfy { $0.event == "sw_interface_event" })
            // The stalled client starts reading; once it has room, the next event is preceded
            // by an overflow event saying how many it lost.
            let drain = Task { () -> Int in
                while true {
                    let item = try await stalled.next()
                    if item.event == "overflow" { return Int(item.json?["dropped"]?.numberValue?.int64Value ?? 0) }
                }
            }
            try await Task.sleep(for: .milliseconds(500))
            _ = try await h.post("/v1/sw_interface_set_flags", #"{"sw_if_index":1,"flags":1}"#)
            let dropped = try await drain.value
            #expect(dropped > 0)
            let stats = await h.gateway.hub.statistics()
            #expect(stats.eventsDropped > 0)
            stalled.close()
            healthy.close()
        }
    }

    @Test func aVPPRestartIsAnnouncedAndTheRegistrationIsRenewed() async throws {
        try await GatewayHarness.run(interfaces: 3, configure: Self.fast) { h in
            let s = try await h.events("/v1/events/sw_interface_event")
            _ = try await h.post("/v1/sw_interface_set_flags", #"{"sw_if_index":1,"flags":1}"#)
            #expect(try await s.next().event == "sw_interface_event")
            let pid = h.gateway.client.session?.vpePID
            h.simulator.restart(reorderModules: true)
            #expect(try await s.next().event == "vpp-disconnected")
            let connected = try await s.next()
            #expect(connected.event == "vpp-connected")
            #expect(h.gateway.client.session?.vpePID != pid)
            _ = try await h.post("/v1/sw_interface_set_flags", #"{"sw_if_index":2,"flags":1}"#)
            let after = try await s.next()
            #expect(after.event == "sw_interface_event")
            #expect(after.json?["sw_if_index"]?.numberValue?.int64Value == 2)
            s.close()
        }
    }

    @Test func aMultiplexedStreamHearsOfAVPPRestartOnceAcrossItsRegistrations() async throws {
        try await GatewayHarness.run(interfaces: 2, apiDirectories: [SharedData.api2606], configure: Self.fast) { h in
            let s = try await h.events("/v1/events?name=sw_interface_event&name=ip_neighbor_event_v2")
            #expect(s.status == 200)
            #expect(h.simulator.receivedCount("want_interface_events") == 1)
            #expect(h.simulator.receivedCount("want_ip_neighbor_events_v2") == 1)
            h.simulator.restart(reorderModules: false)
            #expect(try await s.next().event == "vpp-disconnected")
            #expect(try await s.next().event == "vpp-connected")
            try await h.waitUntil("both registrations renewed") {
                h.simulator.receivedCount("want_interface_events") == 2 && h.simulator.receivedCount("want_ip_neighbor_events_v2") == 2
            }
            _ = try await h.post("/v1/sw_interface_set_flags", #"{"sw_if_index":1,"flags":1}"#)
            #expect(try await s.next().event == "sw_interface_event", "no second vpp-connected in between")
            s.close()
        }
    }

    @Test func anOutageIsAnnouncedOnceHoweverManyReconnectAttemptsFail() async throws {
        try await GatewayHarness.run(interfaces: 2, configure: Self.fast) { h in
            let s = try await h.events("/v1/events/sw_interface_event")
            await h.simulator.stop()
            // VPP stays away long enough for several reconnect attempts (20–200 ms backoff).
            try await Task.sleep(for: .milliseconds(800))
            let again = try VPPSimulator(configuration: SimulatorConfiguration(socketPath: h.directory + "/api.sock", interfaces: 2),
                                         logger: GatewayHarness.quietLogger)
            try again.start()
            #expect(try await s.next().event == "vpp-disconnected")
            #expect(try await s.next().event == "vpp-connected")
            #expect(again.receivedCount("want_interface_events") == 1)
            s.close()
            await again.stop()
        }
    }

    /// A browser's EventSource gives up for good on any answer but 200: a stream opened
    /// while VPP is away is accepted, says so, and starts when VPP comes.
    @Test func aStreamOpenedWhileVPPIsAwayStartsWhenVPPConnects() async throws {
        try await GatewayHarness.run(interfaces: 2, configure: Self.fast) { h in
            await h.simulator.stop()
            try await h.waitUntil("disconnected") { h.gateway.client.session == nil }
            let s = try await h.events("/v1/events/sw_interface_event")
            #expect(s.status == 200)
            #expect(try await s.next().event == "vpp-disconnected")
            let filtered = try await h.events("/v1/events/sw_interface_event?sw_if_index=2")
            #expect(filtered.status == 200)
            // Arguments and filters are still checked against the known schema.
            #expect(try await h.get("/v1/events/sw_interface_event?nope=1").status == 400)
            let again = try VPPSimulator(configuration: SimulatorConfiguration(socketPath: h.directory + "/api.sock", interfaces: 2),
                                         logger: GatewayHarness.quietLogger)
            try again.start()
            #expect(try await s.next().event == "vpp-connected")
            #expect(try await filtered.next(2).map(\.event) == ["vpp-disconnected", "vpp-connected"])
            #expect(again.receivedCount("want_interface_events") == 1, "one registration for both streams")
            again.setLinkState(swIfIndex: 2, up: true)
            let e = try await s.next()
            #expect(e.event == "sw_interface_event")
            #expect(e.json?["sw_if_index"]?.numberValue?.int64Value == 2)
            #expect(try await filtered.next().json?["sw_if_index"]?.numberValue?.int64Value == 2)
            s.close()
            filtered.close()
            await again.stop()
        }
    }

    @Test func aRegistrationVPPRefusesAfterAReconnectEndsTheStreamWithTheReason() async throws {
        try await GatewayHarness.run(interfaces: 2, configure: {
            Self.fast(&$0)
            $0.events.registrationTimeout = .milliseconds(300)
        }) { h in
            let s = try await h.events("/v1/events/sw_interface_event")
            await h.simulator.stop()
            // The VPP that comes back never answers want_interface_events.
            let again = try VPPSimulator(configuration: SimulatorConfiguration(socketPath: h.directory + "/api.sock", interfaces: 2),
                                         logger: GatewayHarness.quietLogger)
            again.faults.dropReplies(to: "want_interface_events")
            try again.start()
            #expect(try await s.next().event == "vpp-disconnected")
            let failed = try await s.next()
            #expect(failed.event == "registration-failed")
            #expect(failed.json?["reason"]?.stringValue?.contains("want_interface_events") == true)
            await #expect(throws: (any Error).self, "the stream ended") { _ = try await s.next() }
            // Subscribing again reports the failure as an HTTP error.
            let retry = try await h.get("/v1/events/sw_interface_event")
            #expect(retry.status == 504)
            again.faults.clear()
            let recovered = try await h.events("/v1/events/sw_interface_event")
            #expect(recovered.status == 200)
            recovered.close()
            await again.stop()
        }
    }

    @Test func wireguardSubscribersGetTheirPeersEventsAndOutliveAnotherRegistrationsDisable() async throws {
        // VPP keeps want_wireguard_peer_events per (peer, client) and sends events with pid 0.
        try await GatewayHarness.run(apiDirectories: [SharedData.api2606], configure: Self.fast) { h in
            let all = try await h.events("/v1/events/wireguard_peer_event")
            let two = try await h.events("/v1/events/wireguard_peer_event?peer_index=2")
            #expect(all.status == 200 && two.status == 200)
            #expect(h.simulator.receivedCount("want_wireguard_peer_events") == 2)
            try h.simulator.emitEvent("wireguard_peer_event", try JSONParser.parse(#"{"peer_index":1}"#))
            try h.simulator.emitEvent("wireguard_peer_event", try JSONParser.parse(#"{"peer_index":2}"#))
            #expect(try await all.next(2).map { $0.json?["peer_index"]?.numberValue?.int64Value } == [1, 2])
            let mine = try await two.next()
            #expect(mine.json?["peer_index"]?.numberValue?.int64Value == 2, "peer 1's event is not peer_index=2's")
            // The all-peers subscriber leaves: its disable drops the gateway from every peer in
            // VPP, so the hub enables peer 2 again for the subscriber that is left.
            all.close()
            try await h.waitUntil("the all-peers registration is disabled and peer 2's re-sent") {
                h.simulator.receivedCount("want_wireguard_peer_events") == 4
            }
            try h.simulator.emitEvent("wireguard_peer_event", try JSONParser.parse(#"{"peer_index":2}"#))
            let after = try await two.next()
            #expect(after.event == "wireguard_peer_event")
            #expect(after.json?["peer_index"]?.numberValue?.int64Value == 2)
            two.close()
        }
    }

    @Test func theGTPUErrorIndicationPluginEventArrivesWithItsRawData() async throws {
        try await GatewayHarness.run(apiDirectories: [SharedData.api2606, SharedData.testgovpp], configure: Self.fast) { h in
            let s = try await h.events("/v1/events/cu_up_gtp_error_ind_event")
            #expect(s.status == 200)
            #expect(h.simulator.receivedCount("want_cu_up_gtp_error_ind_events") == 1)
            let raw = "0x321a001000000000000000001012345678850004c0a80101"
            try h.simulator.emitEvent("cu_up_gtp_error_ind_event", try JSONParser.parse(
                #"{"type":"CU_UP_EVENT_GTP_ERROR_IND","data":{"ue_id":1,"te_id":305419896,"rb_id":5},"raw_msg_data":"\#(raw)"}"#))
            let e = try await s.next()
            #expect(e.event == "cu_up_gtp_error_ind_event")
            let json = try #require(e.json)
            #expect(json["raw_msg_len"]?.numberValue?.int64Value == 24)
            #expect(json["raw_msg_data"] == .string(raw))
            #expect(json["data"]?["te_id"]?.numberValue?.int64Value == 305_419_896)
            #expect(json["type"] == .string("CU_UP_EVENT_GTP_ERROR_IND"))
            s.close()
        }
    }

    @Test func eventsThatACallTriggersArePassiveStreamsAndTheCallIsAnOrdinaryRequest() async throws {
        // want_ping_finished_events has no enable field: it starts a ping, and VPP sends
        // ping_finished_event when it is done (ping.api). The gateway registers nothing.
        try await GatewayHarness.run(apiDirectories: [SharedData.api2606], configure: Self.fast) { h in
            let s = try await h.events("/v1/events/ping_finished_event")
            #expect(s.status == 200)
            #expect(h.simulator.receivedCount("want_ping_finished_events") == 0, "a subscription sends nothing")
            let bad = try await h.get("/v1/events/ping_finished_event?address=10.0.0.1")
            #expect(bad.status == 400)
            #expect(String(decoding: bad.body, as: UTF8.self).contains("belongs to that call"))
            let reply = try await h.post("/v1/want_ping_finished_events", #"{"address":"10.0.0.1","repeat":2,"interval":0.1}"#)
            #expect(reply.status == 200)
            #expect(h.simulator.receivedCount("want_ping_finished_events") == 1)
            // The simulator pings twice, 0.1 s apart; nothing of its own answers 10.0.0.1.
            let e = try await s.next()
            #expect(e.event == "ping_finished_event")
            #expect(e.json?["request_count"]?.numberValue?.int64Value == 2)
            #expect(e.json?["reply_count"]?.numberValue?.int64Value == 0)
            // dhcp_client_config is a configuration call whose service declares dhcp_compl_event.
            let dhcp = try await h.post("/v1/dhcp_client_config",
                                        #"{"is_add":true,"client":{"sw_if_index":1,"hostname":"cpe","want_dhcp_event":true,"pid":7}}"#)
            #expect(dhcp.status == 200)
            s.close()
            let doc = try JSONParser.parse(try await h.get("/openapi.json").body)
            #expect(doc["paths"]?["/v1/want_ping_finished_events"]?["post"] != nil)
            #expect(doc["paths"]?["/v1/dhcp_client_config"]?["post"] != nil)
            #expect(doc["paths"]?["/v1/events/dhcp_compl_event"]?["get"] != nil)
        }
    }
}
