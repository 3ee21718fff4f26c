import Foundation
import Logging
import Synchronization
import Testing
import VPPClient
import VPPEvents
import VPPJSON
import VPPSimulator
import VPPTestSupport

/// A sink that can be told to refuse items, like a client whose queue is full.
final class ControlledSink: EventSink {
    private let state = Mutex<(refusing: Bool, items: [HubItem], closed: Bool)>((false, [], false))

    func offer(_ item: HubItem) -> Bool {
        state.withLock { s in
            if s.refusing { return false }
            s.items.append(item)
            return true
        }
    }

    var isClosed: Bool { state.withLock { $0.closed } }
    func close() { state.withLock { $0.closed = true } }
    func refuse(_ r: Bool) { state.withLock { $0.refusing = r } }
    var events: [HubEvent] { state.withLock { $0.items.compactMap { if case .event(let e) = $0 { e } else { nil } } } }
    var controls: [ControlEvent] { state.withLock { $0.items.compactMap { if case .control(let c) = $0 { c } else { nil } } } }
}

/// The event hub against the simulator, through its sink seam (no HTTP), so slow
/// subscribers can be made exactly as slow as a test needs.
@Suite(.serialized) struct EventHubTests {
    /// A simulator, a connected client and a started hub; everything is stopped afterwards.
    func withHub(_ configuration: EventHubConfiguration = EventHubConfiguration(),
                 _ body: (VPPSimulator, VPPClient, EventHub) async throws -> Void) async throws {
        let dir = "/tmp/vgw-hub-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sim = try VPPSimulator(configuration: SimulatorConfiguration(socketPath: dir + "/api.sock", interfaces: 2),
                                   logger: GatewayHarness.quietLogger)
        try sim.start()
        let client = VPPClient(configuration: VPPClientConfiguration(socketPath: dir + "/api.sock"), logger: GatewayHarness.quietLogger)
        let hub = EventHub(client: client, configuration: configuration, logger: GatewayHarness.quietLogger)
        do {
            try await client.connect()
            await hub.start()
            try await body(sim, client, hub)
        } catch {
            await hub.shutdown()
            await client.shutdown()
            await sim.stop()
            throw error
        }
        await hub.shutdown()
        await client.shutdown()
        await sim.stop()
    }

    @Test func aSubscriberWhoseQueueIsFullIsToldHowManyEventsItMissed() async throws {
        try await withHub { sim, _, hub in
            let healthy = ControlledSink(), slow = ControlledSink()
            _ = try await hub.subscribe([EventSelector(event: "sw_interface_event")], sink: healthy)
            _ = try await hub.subscribe([EventSelector(event: "sw_interface_event")], sink: slow)
            #expect(sim.receivedCount("want_interface_events") == 1)
            slow.refuse(true)
            sim.floodEvents(count: 100)
            let deadline = ContinuousClock.now + .seconds(10)
            while healthy.events.count < 100, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(healthy.events.count == 100)
            #expect(slow.events.isEmpty)
            slow.refuse(false)
            sim.floodEvents(count: 1)
            while slow.events.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(slow.controls == [.overflow(dropped: 100)])
            #expect(slow.events.count == 1)
            #expect(healthy.events.count == 101)
            let seq = healthy.events.map(\.sequence)
            #expect(zip(seq, seq.dropFirst()).allSatisfy { $0 + 1 == $1 })
            let stats = await hub.statistics()
            #expect(stats.eventsDropped == 100)
            #expect(stats.registrations == 1 && stats.subscribers == 2)
            await hub.shutdown()
            #expect(healthy.controls.last == .shutdown && healthy.isClosed)
            #expect(sim.receivedCount("want_interface_events") == 2) // disabled on shutdown
        }
    }

    @Test func aSubscriberThatLostEventsHearsOfItAtTheNextHeartbeatWithoutAnotherEvent() async throws {
        var config = EventHubConfiguration()
        config.heartbeatInterval = .milliseconds(100)
        try await withHub(config) { sim, _, hub in
            let healthy = ControlledSink(), slow = ControlledSink()
            _ = try await hub.subscribe([EventSelector(event: "sw_interface_event")], sink: healthy)
            _ = try await hub.subscribe([EventSelector(event: "sw_interface_event")], sink: slow)
            slow.refuse(true)
            sim.floodEvents(count: 10)
            let deadline = ContinuousClock.now + .seconds(10)
            while healthy.events.count < 10, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            slow.refuse(false)
            while slow.controls.isEmpty, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
            #expect(slow.controls == [.overflow(dropped: 10)])
            #expect(slow.events.isEmpty, "no event came after the loss")
        }
    }
}
