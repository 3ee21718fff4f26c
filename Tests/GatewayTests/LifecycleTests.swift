import Foundation
import Gateway
import Testing
import VPPClient

/// Starting and stopping a gateway: what it leaves behind on VPP.
@Suite(.serialized) struct LifecycleTests {
    @Test func aGatewayThatCannotListenClosesItsVPPConnectionWithSockclntDelete() async throws {
        try await GatewayHarness.run() { h in
            #expect(h.simulator.receivedCount("sockclnt_create") == 1)
            var config = GatewayConfiguration()
            config.client.socketPath = h.simulator.socketPath
            config.http.host = "127.0.0.1"
            config.http.port = h.port  // taken by the harness's gateway
            let second = Gateway(configuration: config, logger: GatewayHarness.quietLogger)
            await #expect(throws: (any Error).self) { try await second.start() }
            // start() connects before it listens, so the failed start did reach VPP…
            #expect(h.simulator.receivedCount("sockclnt_create") == 2)
            // …and took its registration back before returning.
            #expect(h.simulator.receivedCount("sockclnt_delete") == 1)
            #expect(second.client.session == nil)
            let stillServing = try await h.get("/v1/show_version")
            #expect(stillServing.status == 200, "the first gateway is untouched")
        }
    }
}
