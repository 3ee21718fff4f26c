import Foundation
import Testing
import VPPJSON
import VPPSimulator

@Suite("Request handlers", .serialized)
struct HandlerTests {
    @Test func cliShowInterfaceListsStateAndMTU() async throws {
        try await Fixture.with(interfaces: 2) { sim in
            let c = try Fixture.client(sim)
            sim.setCounters(swIfIndex: 1, rxPackets: 5, rxBytes: 420, txPackets: 0, txBytes: 0)
            let set = try c.call("cli_inband", obj(("cmd", .string("set interface state loop0 up"))))
            #expect(set["retval"]?.int == 0)
            let r = try c.call("cli_inband", obj(("cmd", .string("sh int"))))
            #expect(r["retval"]?.int == 0)
            let lines = try #require(r["reply"]?.stringValue).split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines[0].contains("Name") && lines[0].contains("MTU (L3/IP4/IP6/MPLS)") && lines[0].contains("Counter"))
            #expect(lines[1].hasPrefix("local0 ") && lines[1].contains("down") && lines[1].contains("0/0/0/0"))
            #expect(lines[2].hasPrefix("loop0 ") && lines[2].contains(" up ") && lines[2].contains("9000/0/0/0"))
            #expect(lines[2].contains("rx packets") && lines[2].hasSuffix("5"))
            #expect(lines[3].contains("rx bytes") && lines[3].hasSuffix("420"))
            #expect(lines[4].hasPrefix("loop1 ") && lines[4].contains("down"))
            let version = try c.call("cli_inband", obj(("cmd", .string("show version"))))
            #expect(version["reply"]?.stringValue?.hasPrefix("vpp v26.06-release built by") == true)
        }
    }

    @Test func cliCreatesLoopbacksAndShowsAddresses() async throws {
        try await Fixture.with(interfaces: 0) { sim in
            let c = try Fixture.client(sim)
            let created = try c.call("cli_inband", obj(("cmd", .string("create loopback interface instance 7"))))
            #expect(created["reply"]?.stringValue == "loop7\n")
            _ = try c.call("sw_interface_add_del_address", obj(("sw_if_index", num(1)), ("is_add", .bool(true)), ("prefix", .string("10.0.0.1/24"))))
            _ = try c.call("sw_interface_add_del_address", obj(("sw_if_index", num(1)), ("is_add", .bool(true)), ("prefix", .string("2001:db8::1/64"))))
            let r = try c.call("cli_inband", obj(("cmd", .string("show interface address"))))
            #expect(r["reply"]?.stringValue == "local0 (dn):\nloop7 (dn):\n  L3 10.0.0.1/24\n  L3 2001:db8::1/64\n")
        }
    }

    @Test func cliUnknownCommandAnswersLikeVPP() async throws {
        try await Fixture.with { sim in
            let c = try Fixture.client(sim)
            let r = try c.call("cli_inband", obj(("cmd", .string("frobnicate now"))))
            #expect(r["reply"]?.stringValue == "unknown input `frobnicate now'\n")
            #expect(r["retval"]?.int == -1)
            let s = try c.call("cli_inband", obj(("cmd", .string("set interface state nosuch up"))))
            #expect(s["reply"]?.stringValue == "set interface state: unknown interface `nosuch up'\n")
        }
    }

    @Test func addressesFollowVPPRules() async throws {
        try await Fixture.with(interfaces: 2) { sim in
            let c = try Fixture.client(sim)
            func add(_ i: Int64, _ p: String, _ isAdd: Bool = true, delAll: Bool = false) throws -> Int64? {
                try c.call("sw_interface_add_del_address", obj(("sw_if_index", num(i)), ("is_add", .bool(isAdd)), ("del_all", .bool(delAll)), ("prefix", .string(p))))["retval"]?.int
            }
            #expect(try add(1, "10.0.0.1/24") == 0)
            #expect(try add(1, "10.0.0.2/24") == 0)  // same subnet, same interface: fine
            #expect(try add(1, "10.0.0.1/24") == -105)
            #expect(try add(2, "10.0.0.9/24") == -105)  // overlaps loop0's subnet
            #expect(try add(2, "fd00::1/64") == 0)
            #expect(try add(9, "10.9.0.1/24") == -2)
            #expect(try add(2, "10.1.0.1/24", false) == -60)
            let v4 = try c.dump("ip_address_dump", obj(("sw_if_index", num(1)), ("is_ipv6", .bool(false))))
            #expect(v4.map { $0["prefix"]?.stringValue } == ["10.0.0.1/24", "10.0.0.2/24"])
            let v6 = try c.dump("ip_address_dump", obj(("sw_if_index", num(2)), ("is_ipv6", .bool(true))))
            #expect(v6.map { $0["prefix"]?.stringValue } == ["fd00::1/64"])
            #expect(try add(1, "10.0.0.2/24", false) == 0)
            #expect(try add(1, "0.0.0.0/0", false, delAll: true) == 0)
            #expect(try c.dump("ip_address_dump", obj(("sw_if_index", num(1)))).isEmpty)
            #expect(try c.dump("ip_address_dump", obj(("sw_if_index", num(77)))).isEmpty)
        }
    }

    @Test func tagShowsInDetails() async throws {
        try await Fixture.with(interfaces: 1) { sim in
            let c = try Fixture.client(sim)
            #expect(try c.call("sw_interface_tag_add_del", obj(("is_add", .bool(true)), ("sw_if_index", num(1)), ("tag", .string("uplink"))))["retval"]?.int == 0)
            #expect(try c.dump("sw_interface_dump", obj(("sw_if_index", num(1))))[0]["tag"]?.stringValue == "uplink")
            #expect(try c.call("sw_interface_tag_add_del", obj(("is_add", .bool(true)), ("sw_if_index", num(1)), ("tag", .string(""))))["retval"]?.int == -7)
            #expect(try c.call("sw_interface_tag_add_del", obj(("is_add", .bool(false)), ("sw_if_index", num(1))))["retval"]?.int == 0)
            #expect(try c.dump("sw_interface_dump", obj(("sw_if_index", num(1))))[0]["tag"]?.stringValue == "")
            #expect(try c.call("sw_interface_tag_add_del", obj(("is_add", .bool(false)), ("sw_if_index", num(5))))["retval"]?.int == -2)
        }
    }

    @Test func txPlacementGetPagesWithEAGAINAndCursor() async throws {
        try await Fixture.with(interfaces: 7, configure: { $0.streamPageSize = 3 }) { sim in
            let c = try Fixture.client(sim)
            var cursor: Int64 = 0xffff_ffff
            var seen: [Int64] = []
            var rounds = 0
            while true {
                try c.send("sw_interface_tx_placement_get", obj(("cursor", num(cursor)), ("sw_if_index", num(0xffff_ffff))), context: 0x77)
                var replyRetval: Int64?
                while replyRetval == nil {
                    let m = try c.next()
                    #expect(m.header.context == 0x77)
                    if m.name == "sw_interface_tx_placement_details" {
                        seen.append(m.json["sw_if_index"]?.int ?? -1)
                        #expect(m.json["threads"] == .array([num(0)]))
                    } else {
                        #expect(m.name == "sw_interface_tx_placement_get_reply")
                        replyRetval = m.json["retval"]?.int
                        cursor = m.json["cursor"]?.int ?? -1
                    }
                }
                rounds += 1
                if replyRetval == -165 { continue }
                #expect(replyRetval == 0)
                break
            }
            #expect(rounds == 3)
            #expect(seen == [1, 2, 3, 4, 5, 6, 7])
            #expect(cursor == 7)
            // One interface; an unknown one.
            try c.send("sw_interface_tx_placement_get", obj(("cursor", num(0)), ("sw_if_index", num(2))))
            #expect(try c.next().json["sw_if_index"]?.int == 2)
            #expect(try c.next().json["retval"]?.int == 0)
            #expect(try c.call("sw_interface_tx_placement_get", obj(("sw_if_index", num(99))))["retval"]?.int == -2)
            #expect(try c.call("sw_interface_tx_placement_get", obj(("sw_if_index", num(0))))["retval"]?.int == -7)
        }
    }

    @Test func pluginEventReachesClientsRegisteredThroughItsWantMessage() async throws {
        try await Fixture.with { sim in
            let c = try Fixture.client(sim)
            let other = try Fixture.client(sim)
            let reg = try c.call("want_cu_up_gtp_error_ind_events", obj(("enable_disable", .bool(true)), ("pid", num(99))))
            #expect(reg["retval"]?.int == 0)
            #expect(try c.call("want_cu_up_gtp_error_ind_events", obj(("enable_disable", .bool(true))))["retval"]?.int == -31)
            try sim.emitEvent("cu_up_gtp_error_ind_event", obj(
                ("type", .string("CU_UP_EVENT_GTP_ERROR_IND")),
                ("data", obj(("ue_id", num(17)), ("te_id", num(0x1000)), ("rb_id", num(5)))),
                ("raw_msg_data", .string("0x32ff00040000000a")),
            ))
            let e = try c.next()
            #expect(e.name == "cu_up_gtp_error_ind_event")
            #expect(e.header.clientIndex == c.clientIndex)
            #expect(e.json["pid"]?.int == 99)
            #expect(e.json["raw_msg_len"]?.int == 8)
            #expect(e.json["raw_msg_data"]?.stringValue == "0x32ff00040000000a")
            #expect(e.json["data"]?["te_id"]?.int == 0x1000)
            #expect(try other.receive(timeout: .milliseconds(100)) == nil)
            #expect(throws: (any Error).self) { try sim.emitEvent("show_version", obj()) }
            #expect(throws: (any Error).self) { try sim.emitEvent("cu_up_gtp_error_ind_event", obj(("nosuch", num(1)))) }
        }
    }

    /// The header fields VPP's handlers fill in, or leave zero: control_ping_reply echoes the
    /// client_index (memclnt_api.c:128-136), ping_finished_event is a zeroed message with two
    /// counts (ping_api.c:24-40), dhcp_compl_event echoes `client.pid` (dhcp_api.c:298, 315).
    @Test func repliesAndEventsCarryTheClientIndexAndPidVPPPutsThere() async throws {
        try await Fixture.with { sim in
            let c = try Fixture.client(sim)
            try c.send("control_ping", context: 41)
            let ping = try c.next()
            #expect(ping.name == "control_ping_reply")
            #expect(ping.header.clientIndex == c.clientIndex)
            let start = try c.call("want_ping_finished_events", obj(("address", .string("10.9.9.9")), ("repeat", num(1)),
                                                                   ("interval", .number(JSONNumber(text: "0.05")))))
            #expect(start["retval"]?.int == 0)
            let finished = try c.next()
            #expect(finished.name == "ping_finished_event")
            #expect(finished.header.clientIndex == 0)
            #expect(finished.json["request_count"]?.int == 1)
            let dhcp = try c.call("dhcp_client_config", obj(("is_add", .bool(true)), ("client", obj(
                ("sw_if_index", num(1)), ("hostname", .string("cpe")), ("want_dhcp_event", .bool(true)), ("pid", num(4242))))))
            #expect(dhcp["retval"]?.int == 0)
            try sim.emitEvent("dhcp_compl_event", obj())
            let lease = try c.next()
            #expect(lease.name == "dhcp_compl_event")
            #expect(lease.json["pid"]?.int == 4242)
            #expect(lease.header.clientIndex == c.clientIndex)
        }
    }

    @Test func unimplementedRequestsGetUnimplementedOrNothing() async throws {
        try await Fixture.with { sim in
            let c = try Fixture.client(sim)
            let r = try c.call("bridge_domain_add_del_v2", obj(("bd_id", num(5))))
            #expect(r["retval"]?.int == -9)
            #expect(try c.dump("acl_dump").isEmpty)
        }
        try await Fixture.with(configure: { $0.unimplemented = .noReply }) { quiet in
            let q = try Fixture.client(quiet)
            try q.send("bridge_domain_add_del_v2", obj(("bd_id", num(5))))
            #expect(try q.receive(timeout: .milliseconds(200)) == nil)
        }
    }

    @Test func showThreadsAndF64Probes() async throws {
        try await Fixture.with(configure: { $0.workers = 2 }) { sim in
            let c = try Fixture.client(sim)
            let t = try c.call("show_threads")
            #expect(t["count"]?.int == 3)
            #expect(t["thread_data"]?.arrayValue?.map { $0["name"]?.stringValue } == ["vpp_main", "vpp_wk_0", "vpp_wk_1"])
            #expect(try c.call("get_f64_endian_value", obj(("f64_one", .number(JSONNumber(text: "1.0")))))["retval"]?.int == 0)
            let inc = try c.call("get_f64_increment_by_one", obj(("f64_value", .number(JSONNumber(text: "2.5")))))
            #expect(inc["f64_value"]?.numberValue?.doubleValue == 3.5)
        }
    }
}

@Suite("Malformed input", .serialized)
struct MalformedInputTests {
    /// Every message id of the table with random bodies of random lengths: nothing may crash
    /// the simulator, and the connection keeps working.
    @Test func randomBodiesForEveryIDNeverBreakTheSimulator() async throws {
        try await Fixture.with(interfaces: 3) { sim in
            let c = try Fixture.client(sim)
            var rng = SystemRandomNumberGenerator()
            let table = sim.messageTable
            for id in 1..<table.count {
                guard let name = table.name(of: UInt16(id)), name != "sockclnt_delete" else { continue }
                for _ in 0..<3 {
                    let length = Int.random(in: 0...80, using: &rng)
                    var body = [UInt8(id >> 8), UInt8(id & 0xff)]
                    body += (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    try c.sendPayload(body)
                }
            }
            // Drain whatever answers came (replies to random client_index values go nowhere
            // or to us), then check the session still works.
            while try c.receive(timeout: .milliseconds(300)) != nil {}
            let pong = try c.call("control_ping", context: 0x5151)
            #expect(pong["retval"]?.int == 0)
        }
    }
}
