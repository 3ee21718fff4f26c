import Foundation
import Testing
import VPPJSON
import VPPSimulator

@Suite("Fault hooks", .serialized)
struct FaultTests {
    @Test func delayedRepliesArriveLateAndInOrder() async throws {
        try await Fixture.with { sim in
            let c = try Fixture.client(sim)
            let other = try Fixture.client(sim)
            sim.faults.delayReplies(to: "show_version", by: .milliseconds(300))
            let start = ContinuousClock.now
            try c.send("show_version", context: 1)
            try c.send("control_ping", context: 2)
            // Another client is not held up.
            #expect(try other.call("control_ping")["retval"]?.int == 0)
            #expect(ContinuousClock.now - start < .milliseconds(250))
            #expect(try c.receive(timeout: .milliseconds(100)) == nil)
            #expect(try c.next().header.context == 1)
            #expect(ContinuousClock.now - start >= .milliseconds(300))
            #expect(try c.next().header.context == 2)
            sim.faults.clear()
            sim.faults.delayReplies(by: .milliseconds(150))
            let t0 = ContinuousClock.now
            _ = try c.call("control_ping")
            #expect(ContinuousClock.now - t0 >= .milliseconds(150))
            sim.faults.clear()
        }
    }

    @Test func droppedRepliesNeverArrive() async throws {
        try await Fixture.with { sim in
            let c = try Fixture.client(sim)
            sim.faults.dropReplies(to: "show_version")
            try c.send("show_version")
            #expect(try c.receive(timeout: .milliseconds(200)) == nil)
            #expect(try c.call("control_ping")["retval"]?.int == 0)
            #expect(sim.receivedCount("show_version") == 1)
            sim.faults.clear()
            #expect(try c.call("show_version")["retval"]?.int == 0)
        }
    }

    @Test func closeAllConnectionsDropsClientsAndRegistrations() async throws {
        try await Fixture.with { sim in
            let a = try Fixture.client(sim)
            let b = try Fixture.client(sim)
            _ = try a.call("want_interface_events", obj(("enable_disable", num(1))))
            sim.closeAllConnections()
            #expect(a.waitForClose())
            #expect(b.waitForClose())
            let c = try Fixture.client(sim)
            #expect(c.clientIndex == a.clientIndex)
            #expect(try c.call("want_interface_events", obj(("enable_disable", num(1))))["retval"]?.int == 0)
        }
    }

    @Test func restartResetsStateAndChangesPID() async throws {
        try await Fixture.with(interfaces: 1) { sim in
            let c = try Fixture.client(sim)
            let pid = try c.call("control_ping")["vpe_pid"]?.int
            _ = try c.call("create_loopback")
            #expect(try c.dump("sw_interface_dump").count == 3)
            sim.restart(reorderModules: false)
            #expect(c.waitForClose())
            let d = try Fixture.client(sim)
            #expect(d.ids == c.ids)
            #expect(try d.call("control_ping")["vpe_pid"]?.int != pid)
            #expect(try d.dump("sw_interface_dump").count == 2)
        }
    }

    @Test func floodSendsEventsAtOnceOrAtARate() async throws {
        try await Fixture.with(interfaces: 3) { sim in
            let c = try Fixture.client(sim)
            _ = try c.call("want_interface_events", obj(("enable_disable", num(1))))
            sim.floodEvents(count: 5000)
            for _ in 0..<5000 { #expect(try c.next().name == "sw_interface_event") }
            let start = ContinuousClock.now
            sim.floodEvents(count: 20, ratePerSecond: 100)
            for _ in 0..<20 { _ = try c.next() }
            #expect(ContinuousClock.now - start >= .milliseconds(150))
            #expect(try c.receive(timeout: .milliseconds(50)) == nil)
        }
    }

    @Test func slowReaderLosesNothing() async throws {
        try await Fixture.with(interfaces: 2000) { sim in
            let c = try Fixture.client(sim)
            // Queue far more than a socket buffer holds before reading anything.
            for i in 0..<20 {
                try c.send("sw_interface_dump", context: UInt32(i))
            }
            try await Task.sleep(for: .milliseconds(200))
            var n = 0
            while n < 20 * 2001 {
                let m = try c.next()
                #expect(m.name == "sw_interface_details")
                n += 1
            }
            #expect(try c.call("control_ping")["retval"]?.int == 0)
        }
    }
}
