import Testing
import VPPJSON
import VPPSimulator

/// The want_* messages whose registrations VPP keeps in its own way, over the real socket.
@Suite struct RegistrationRuleTests {
    @Test func ipNeighborWatchersAreIndependentAndARepeatIsNotAnError() async throws {
        try await Fixture.with { sim in
            let c = try Fixture.client(sim)
            func watch(_ ip: String, _ enable: Bool) throws -> Int64? {
                try c.call("want_ip_neighbor_events_v2", obj(("enable", .bool(enable)), ("pid", num(5)),
                                                             ("ip", .string(ip)), ("sw_if_index", num(1))))["retval"]?.int
            }
            #expect(try watch("10.0.0.1", true) == 0)
            #expect(try watch("10.0.0.2", true) == 0, "another filter is another watcher")
            #expect(try watch("10.0.0.1", true) == 0, "a duplicate is ignored, not -31")
            #expect(try watch("10.0.0.1", false) == 0)
            try sim.emitEvent("ip_neighbor_event_v2", obj(("flags", num(1))))
            let e = try c.next()
            #expect(e.name == "ip_neighbor_event_v2")
            #expect(e.json["pid"]?.int == 5)
            #expect(try c.receive(timeout: .milliseconds(200)) == nil, "one watcher left, one event")
        }
    }

    @Test func aPingRepliesAtOnceAndSendsPingFinishedWhenItIsDone() async throws {
        try await Fixture.with { sim in
            let c = try Fixture.client(sim)
            #expect(try c.call("sw_interface_add_del_address", obj(("sw_if_index", num(1)), ("is_add", .bool(true)),
                                                                   ("prefix", .string("192.0.2.1/24"))))["retval"]?.int == 0)
            let started = ContinuousClock.now
            #expect(try c.call("want_ping_finished_events", obj(("address", .string("192.0.2.1")), ("repeat", num(3)),
                                                                ("interval", .number(JSONNumber(text: "0.1")))))["retval"]?.int == 0)
            let done = try c.next()
            #expect(done.name == "ping_finished_event")
            #expect(ContinuousClock.now - started >= .milliseconds(250))
            #expect(done.json["request_count"]?.int == 3)
            #expect(done.json["reply_count"]?.int == 3, "an address of the simulator's own answers")
        }
    }

    @Test func ip6RAEventsCarryThePidByteSwappedAsVPPStoresItInHostOrder() async throws {
        try await Fixture.with { sim in
            let c = try Fixture.client(sim)
            #expect(try c.call("want_ip6_ra_events", obj(("enable", .bool(true)), ("pid", num(0x0102_0304))))["retval"]?.int == 0)
            try sim.emitEvent("ip6_ra_event", obj(("sw_if_index", num(1))))
            #expect(try c.next().json["pid"]?.int == 0x0403_0201)
        }
    }

    @Test func l2MacsHasOneSubscriberForAllOfVPPKeptByPidAndNeverReaped() async throws {
        try await Fixture.with { sim in
            let a = try Fixture.client(sim, name: "a")
            let b = try Fixture.client(sim, name: "b")
            func want(_ c: RawClient, pid: Int64, enable: Bool = true, learnLimit: Int64 = 1000) throws -> Int64? {
                try c.call("want_l2_macs_events", obj(("learn_limit", num(learnLimit)), ("scan_delay", num(10)),
                                                      ("max_macs_in_event", num(10)), ("enable_disable", .bool(enable)),
                                                      ("pid", num(pid))))["retval"]?.int
            }
            #expect(try want(a, pid: 0, learnLimit: 0) == -7, "a zero learn limit is INVALID_VALUE")
            #expect(try want(a, pid: 11) == 0)
            #expect(try want(b, pid: 22) == -124, "L2_MACS_EVENT_CLINET_PRESENT")
            #expect(try want(a, pid: 11) == 0, "the same pid may enable again")
            a.disconnect()
            try await Task.sleep(for: .milliseconds(100))
            #expect(try want(b, pid: 22) == -124, "no reaper: the dead client still holds it")
            #expect(try want(b, pid: 11) == 0, "its pid takes it over")
            try sim.emitEvent("l2_macs_event", obj(("n_macs", num(0))))
            let e = try b.next()
            #expect(e.name == "l2_macs_event")
            #expect(e.json["pid"]?.int == 11)
            #expect(try want(b, pid: 99, enable: false) == 0, "any disable clears it")
            #expect(try want(b, pid: 22) == 0)
        }
    }

    @Test func wireguardRegistersPerPeerAndADisableForAllPeersDropsEveryOne() async throws {
        try await Fixture.with { sim in
            let c = try Fixture.client(sim)
            func want(peer: Int64, enable: Bool) throws -> Int64? {
                try c.call("want_wireguard_peer_events", obj(("peer_index", num(peer)), ("enable_disable", num(enable ? 1 : 0)),
                                                             ("pid", num(8))))["retval"]?.int
            }
            #expect(try want(peer: 2, enable: true) == 0)
            #expect(try want(peer: 2, enable: true) == 0, "already registered for the peer: nothing happens")
            try sim.emitEvent("wireguard_peer_event", obj(("peer_index", num(1))))
            #expect(try c.receive(timeout: .milliseconds(200)) == nil, "not registered for peer 1")
            try sim.emitEvent("wireguard_peer_event", obj(("peer_index", num(2))))
            let e = try c.next()
            #expect(e.json["peer_index"]?.int == 2)
            #expect(e.json["pid"]?.int == 0, "wg_api_send_peer_event leaves pid zero")
            #expect(try want(peer: 4_294_967_295, enable: true) == 0)
            try sim.emitEvent("wireguard_peer_event", obj(("peer_index", num(3))))
            #expect(try c.next().json["peer_index"]?.int == 3)
            #expect(try want(peer: 4_294_967_295, enable: false) == 0)
            try sim.emitEvent("wireguard_peer_event", obj(("peer_index", num(2))))
            #expect(try c.receive(timeout: .milliseconds(200)) == nil, "the disable for all peers took peer 2 too")
        }
    }
}
