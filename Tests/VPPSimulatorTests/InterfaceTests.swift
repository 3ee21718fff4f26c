import Foundation
import Testing
import VPPJSON
import VPPSimulator

@Suite("Interfaces and events", .serialized)
struct InterfaceTests {
    @Test func dumpListsLocal0AndLoopbacks() async throws {
        try await Fixture.with(interfaces: 2) { sim in
            let c = try Fixture.client(sim)
            let details = try c.dump("sw_interface_dump")
            #expect(details.map { $0["interface_name"]?.stringValue } == ["local0", "loop0", "loop1"])
            #expect(details[0]["interface_dev_type"]?.stringValue == "local")
            #expect(details[1]["l2_address"]?.stringValue == "de:ad:00:00:00:00")
            #expect(details[2]["l2_address"]?.stringValue == "de:ad:00:00:00:01")
            #expect(details[1]["mtu"]?.arrayValue?.first?.int == 9000)
            #expect(details[1]["flags"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test func createAndDeleteLoopbackShowInDump() async throws {
        try await Fixture.with(interfaces: 0) { sim in
            let c = try Fixture.client(sim)
            let r = try c.call("create_loopback", obj(("mac_address", .string("02:00:00:00:00:07"))))
            #expect(r["retval"]?.int == 0)
            #expect(r["sw_if_index"]?.int == 1)
            let i = try c.call("create_loopback_instance", obj(("is_specified", .bool(true)), ("user_instance", num(5))))
            #expect(i["sw_if_index"]?.int == 2)
            let dup = try c.call("create_loopback_instance", obj(("is_specified", .bool(true)), ("user_instance", num(5))))
            #expect(dup["retval"]?.int == -31)
            var details = try c.dump("sw_interface_dump")
            #expect(details.map { $0["interface_name"]?.stringValue } == ["local0", "loop0", "loop5"])
            #expect(details[1]["l2_address"]?.stringValue == "02:00:00:00:00:07")
            #expect(try c.call("delete_loopback", obj(("sw_if_index", num(1))))["retval"]?.int == 0)
            #expect(try c.call("delete_loopback", obj(("sw_if_index", num(1))))["retval"]?.int == -2)
            #expect(try c.call("delete_loopback", obj(("sw_if_index", num(0))))["retval"]?.int == -2)
            details = try c.dump("sw_interface_dump")
            #expect(details.map { $0["interface_name"]?.stringValue } == ["local0", "loop5"])
            // The freed slot and instance are reused.
            let again = try c.call("create_loopback")
            #expect(again["sw_if_index"]?.int == 1)
            details = try c.dump("sw_interface_dump", obj(("sw_if_index", num(1))))
            #expect(details.map { $0["interface_name"]?.stringValue } == ["loop0"])
        }
    }

    @Test func dumpFiltersByNameAndIndexAsVPPDoes() async throws {
        try await Fixture.with(interfaces: 12) { sim in
            let c = try Fixture.client(sim)
            let byName = try c.dump("sw_interface_dump", obj(("name_filter_valid", .bool(true)), ("name_filter", .string("LOOP1"))))
            #expect(byName.map { $0["interface_name"]?.stringValue } == ["loop1", "loop10", "loop11"])
            let unused = try c.dump("sw_interface_dump", obj(("name_filter_valid", .bool(false)), ("name_filter", .string("loop1"))))
            #expect(unused.count == 13)
            let one = try c.dump("sw_interface_dump", obj(("sw_if_index", num(3))))
            #expect(one.map { $0["sw_if_index"]?.int } == [3])
            // sw_if_index 0 means "all" in VPP's handler, as does ~0.
            #expect(try c.dump("sw_interface_dump", obj(("sw_if_index", num(0)))).count == 13)
            #expect(try c.dump("sw_interface_dump", obj(("sw_if_index", num(99)))).isEmpty)
        }
    }

    @Test func dumpOfTenThousandInterfaces() async throws {
        try await Fixture.with(interfaces: 10_000) { sim in
            let c = try Fixture.client(sim)
            let details = try c.dump("sw_interface_dump")
            #expect(details.count == 10_001)
            #expect(details.last?["interface_name"]?.stringValue == "loop9999")
            #expect(Set(details.compactMap { $0["sw_if_index"]?.int }).count == 10_001)
        }
    }

    @Test func setFlagsSendsDeltaEventsOnlyToRegisteredClients() async throws {
        try await Fixture.with(interfaces: 2) { sim in
            let listener = try Fixture.client(sim, name: "listener")
            let other = try Fixture.client(sim, name: "other")
            let reg = try listener.call("want_interface_events", obj(("enable_disable", num(1)), ("pid", num(31337))))
            #expect(reg["retval"]?.int == 0)
            #expect(try other.call("sw_interface_set_flags", obj(("sw_if_index", num(1)), ("flags", num(1))))["retval"]?.int == 0)
            let up = try listener.next()
            #expect(up.name == "sw_interface_event")
            #expect(up.header.context == nil)
            #expect(up.header.clientIndex == listener.clientIndex)
            #expect(up.json["pid"]?.int == 31337)
            #expect(up.json["sw_if_index"]?.int == 1)
            #expect(up.json["flags"] == .array([.string("IF_STATUS_API_FLAG_ADMIN_UP"), .string("IF_STATUS_API_FLAG_LINK_UP")]))
            #expect(up.json["deleted"] == .bool(false))
            // Down: no up-events in the batch, so flags are empty even though it changed.
            _ = try other.call("sw_interface_set_flags", obj(("sw_if_index", num(1)), ("flags", num(0))))
            let down = try listener.next()
            #expect(down.json["flags"] == .array([]))
            // Link only (admin stays down): LINK_UP alone.
            sim.setLinkState(swIfIndex: 2, up: true)
            let link = try listener.next()
            #expect(link.json["sw_if_index"]?.int == 2)
            #expect(link.json["flags"] == .array([.string("IF_STATUS_API_FLAG_LINK_UP")]))
            // No change, no event.
            _ = try other.call("sw_interface_set_flags", obj(("sw_if_index", num(1)), ("flags", num(0))))
            // Create and delete.
            let created = try other.call("create_loopback")["sw_if_index"]?.int
            let add = try listener.next()
            #expect(add.json["sw_if_index"]?.int == created)
            #expect(add.json["flags"] == .array([]))
            #expect(add.json["deleted"] == .bool(false))
            _ = try other.call("delete_loopback", obj(("sw_if_index", num(created ?? 0))))
            let del = try listener.next()
            #expect(del.json["deleted"] == .bool(true))
            #expect(try other.receive(timeout: .milliseconds(100)) == nil)
            #expect(try listener.receive(timeout: .milliseconds(100)) == nil)
            #expect(sim.receivedCount("want_interface_events") == 1)
        }
    }

    @Test func registeringTwiceOrDisablingUnregisteredIsMinus31() async throws {
        try await Fixture.with { sim in
            let c = try Fixture.client(sim)
            #expect(try c.call("want_interface_events", obj(("enable_disable", num(0))))["retval"]?.int == -31)
            #expect(try c.call("want_interface_events", obj(("enable_disable", num(1))))["retval"]?.int == 0)
            #expect(try c.call("want_interface_events", obj(("enable_disable", num(1))))["retval"]?.int == -31)
            #expect(try c.call("want_interface_events", obj(("enable_disable", num(0))))["retval"]?.int == 0)
            #expect(try c.call("want_interface_events", obj(("enable_disable", num(0))))["retval"]?.int == -31)
        }
    }

    @Test func registrationIsReapedWhenTheClientDisconnects() async throws {
        try await Fixture.with { sim in
            let first = try Fixture.client(sim)
            let slot = first.clientIndex
            _ = try first.call("want_interface_events", obj(("enable_disable", num(1))))
            first.disconnect()
            _ = first.waitForClose()
            try await Task.sleep(for: .milliseconds(50))
            let second = try Fixture.client(sim)
            #expect(second.clientIndex == slot)
            sim.setAdminState(swIfIndex: 1, up: true)
            #expect(try second.receive(timeout: .milliseconds(200)) == nil)
            // And the new client can register (the old registration is gone).
            #expect(try second.call("want_interface_events", obj(("enable_disable", num(1))))["retval"]?.int == 0)
        }
    }
}
