import Foundation
import Gateway
import Testing
import VPPJSON
import VPPTestSupport

/// What web pages may do: the cross-origin check, CORS for trusted origins, host names of a
/// gateway without tokens, and tokens for EventSource (which cannot set headers).
@Suite(.serialized) struct BrowserAccessTests {
    static let setFlags = #"{"sw_if_index":1,"flags":1}"#

    func problemType(_ r: RawResponse) -> String? {
        (try? JSONParser.parse(r.body))?["type"]?.stringValue
    }

    @Test func aPageOfAnotherOriginCannotChangeAnything() async throws {
        try await GatewayHarness.run { h in
            // A "simple" cross-origin POST (text/plain: no preflight) is refused before VPP sees it.
            let evil = try await h.post("/v1/sw_interface_set_flags", Self.setFlags,
                                        headers: [("Origin", "https://evil.example"), ("Content-Type", "text/plain")])
            #expect(evil.status == 403)
            #expect(problemType(evil) == "https://vpp-gateway.dev/problems/cross-origin-refused")
            #expect(evil.header("access-control-allow-origin") == nil)
            let hidden = try await h.post("/v1/sw_interface_set_flags", Self.setFlags, headers: [("Sec-Fetch-Site", "cross-site")])
            #expect(hidden.status == 403)
            let sameSite = try await h.post("/v1/sw_interface_set_flags", Self.setFlags,
                                            headers: [("Sec-Fetch-Site", "same-site"), ("Origin", "http://sub.127.0.0.1")])
            #expect(sameSite.status == 403)
            #expect(h.simulator.receivedCount("sw_interface_set_flags") == 0)
            // Safe methods, the gateway's own origin, a typed URL and non-browser clients pass.
            #expect(try await h.get("/v1/show_version", headers: [("Origin", "https://evil.example")]).status == 200)
            #expect(try await h.post("/v1/sw_interface_set_flags", Self.setFlags, headers: [("Origin", "http://127.0.0.1")]).status == 200)
            #expect(try await h.post("/v1/sw_interface_set_flags", Self.setFlags,
                                     headers: [("Sec-Fetch-Site", "same-origin"), ("Origin", "http://127.0.0.1")]).status == 200)
            #expect(try await h.post("/v1/sw_interface_set_flags", Self.setFlags, headers: [("Sec-Fetch-Site", "none")]).status == 200)
            #expect(try await h.post("/v1/sw_interface_set_flags", Self.setFlags).status == 200)
            #expect(h.simulator.receivedCount("sw_interface_set_flags") == 4)
            // Without cors-origin nothing answers a preflight: the browser is told no.
            let preflight = try await h.request("OPTIONS", "/v1/sw_interface_set_flags",
                                                headers: [("Origin", "https://dash.example.com"), ("Access-Control-Request-Method", "POST")])
            #expect(preflight.status == 403)
            #expect(preflight.header("access-control-allow-origin") == nil)
        }
    }

    @Test func trustedOriginsGetCORSHeadersOnCallsPreflightsAndEventStreams() async throws {
        try await GatewayHarness.run(configure: { $0.access.browser.corsOrigins = ["https://Dash.example.com/"] }) { h in
            let origin = ("Origin", "https://dash.example.com")
            let preflight = try await h.request("OPTIONS", "/v1/sw_interface_set_flags",
                                                headers: [origin, ("Access-Control-Request-Method", "POST"),
                                                          ("Access-Control-Request-Headers", "content-type, authorization")])
            #expect(preflight.status == 204)
            #expect(preflight.header("access-control-allow-origin") == "https://dash.example.com")
            #expect(preflight.head.headers.filter { $0.name == "access-control-allow-origin" }.count == 1)
            #expect(preflight.header("access-control-allow-methods") == "GET, HEAD, POST")
            #expect(preflight.header("access-control-allow-headers") == "content-type, authorization")
            #expect(preflight.header("vary") == "Origin")
            #expect(h.simulator.receivedCount("sw_interface_set_flags") == 0)

            let set = try await h.post("/v1/sw_interface_set_flags", Self.setFlags, headers: [origin, ("Sec-Fetch-Site", "cross-site")])
            #expect(set.status == 200)
            #expect(set.header("access-control-allow-origin") == "https://dash.example.com")
            #expect(set.header("access-control-expose-headers")?.contains("X-Request-Id") == true)
            let failed = try await h.post("/v1/sw_interface_set_flags", #"{"sw_if_index":99,"flags":1}"#, headers: [origin])
            #expect(failed.status == 422)
            #expect(failed.header("access-control-allow-origin") == "https://dash.example.com")

            let stream = try await h.events("/v1/events/sw_interface_event", headers: [origin])
            #expect(stream.status == 200)
            #expect(stream.head.header("access-control-allow-origin") == "https://dash.example.com")
            stream.close()

            let other = try await h.get("/v1/show_version", headers: [("Origin", "https://evil.example")])
            #expect(other.status == 200)
            #expect(other.header("access-control-allow-origin") == nil)
            #expect(other.header("vary") == "Origin")
            let refused = try await h.request("OPTIONS", "/v1/show_version",
                                              headers: [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "GET")])
            #expect(refused.status == 403)
            #expect(problemType(refused) == "https://vpp-gateway.dev/problems/cross-origin-refused")
        }
        try await GatewayHarness.run(configure: { $0.access.browser.corsOrigins = ["*"] }) { h in
            let any = try await h.post("/v1/show_version", "{}", headers: [("Origin", "https://anywhere.example"), ("Sec-Fetch-Site", "cross-site")])
            #expect(any.status == 200)
            #expect(any.header("access-control-allow-origin") == "*")
            #expect(any.header("vary") == nil)
        }
    }

    @Test func aGatewayLimitedToLoopbackNamesRefusesOtherHosts() async throws {
        try await GatewayHarness.run(configure: { $0.access.browser.allowedHostNames = ["gw.example"] }) { h in
            let rebound = try await h.get("/v1/show_version", headers: [("Host", "attacker.example:8080")])
            #expect(rebound.status == 403)
            #expect(problemType(rebound) == "https://vpp-gateway.dev/problems/host-not-allowed")
            #expect(try await h.post("/v1/sw_interface_set_flags", Self.setFlags, headers: [("Host", "attacker.example")]).status == 403)
            #expect(h.simulator.receivedCount("sw_interface_set_flags") == 0)
            for host in ["127.0.0.1:8080", "localhost:8080", "LOCALHOST", "app.localhost", "[::1]:8080", "10.1.2.3", "gw.example:8080"] {
                #expect(try await h.get("/v1/show_version", headers: [("Host", host)]).status == 200, "Host: \(host)")
            }
        }
    }

    @Test func eventStreamsTakeTheirTokenFromTheQueryAndNothingElseDoes() async throws {
        let (path, tokens) = try AccessTests.tokensFile(["watcher": [.events], "reader": [.read]])
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await GatewayHarness.run(configure: { $0.access.tokens = try? TokenStore(path: path) }) { h in
            let watcher = try #require(tokens["watcher"])
            let stream = try await h.events("/v1/events/sw_interface_event?sw_if_index=1&access_token=\(watcher)")
            #expect(stream.status == 200)
            stream.close()
            #expect(try await h.events("/v1/events/sw_interface_event?access_token=wrong").status == 401)
            #expect(try await h.events("/v1/events/sw_interface_event?access_token=\(tokens["reader"] ?? "")").status == 403)
            #expect(try await h.events("/v1/events/sw_interface_event").status == 401)
            // Calls keep their tokens out of URLs (and so out of proxies' logs).
            #expect(try await h.get("/v1/show_version?access_token=\(tokens["reader"] ?? "")").status == 401)
        }
    }
}
