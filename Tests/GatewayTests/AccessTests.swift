import Foundation
import Gateway
import Testing
import VPPJSON
import VPPTestSupport

/// Bearer tokens with scopes, and the message policy, over HTTP.
@Suite(.serialized) struct AccessTests {
    /// A tokens file with one token per scope set; returns (path, tokens by name).
    static func tokensFile(_ grants: [String: [Scope]]) throws -> (String, [String: String]) {
        let path = NSTemporaryDirectory() + "tokens-\(UUID().uuidString)"
        var tokens: [String: String] = [:]
        var lines = ["# test tokens"]
        for (name, scopes) in grants.sorted(by: { $0.key < $1.key }) {
            let t = TokenStore.generateToken()
            tokens[name] = t
            lines.append(TokenStore.line(token: t, name: name, scopes: scopes))
        }
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return (path, tokens)
    }

    func bearer(_ t: String?) -> [(String, String)] { t.map { [("Authorization", "Bearer \($0)")] } ?? [] }

    @Test func tokensAreCheckedAndScopesDecideWhatEachMayDo() async throws {
        let (path, tokens) = try Self.tokensFile(["reader": [.read], "writer": [.read, .write], "watcher": [.events], "root": [.admin]])
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await GatewayHarness.run(configure: { c in
            c.access.tokens = try? TokenStore(path: path)
            c.access.policy = MessagePolicy(allow: ["*", "cli_inband"])
        }) { h in
            let none = try await h.get("/v1/show_version")
            #expect(none.status == 401)
            #expect(none.header("www-authenticate")?.hasPrefix("Bearer") == true)
            #expect(try await h.get("/v1/show_version", headers: bearer("not-a-token")).status == 401)
            #expect(try await h.get("/v1/show_version", headers: bearer(tokens["reader"])).status == 200)
            #expect(try await h.get("/v1/sw_interface_dump", headers: bearer(tokens["reader"])).status == 200)
            #expect(try await h.post("/v1/sw_interface_dump", "{}", headers: bearer(tokens["reader"])).status == 200)
            let set = #"{"sw_if_index":1,"flags":1}"#
            let denied = try await h.post("/v1/sw_interface_set_flags", set, headers: bearer(tokens["reader"]))
            #expect(denied.status == 403)
            #expect(try JSONParser.parse(denied.body)["type"] == .string("https://vpp-gateway.dev/problems/forbidden"))
            #expect(h.simulator.receivedCount("sw_interface_set_flags") == 0)
            #expect(try await h.post("/v1/sw_interface_set_flags", set, headers: bearer(tokens["writer"])).status == 200)
            #expect(try await h.get("/v1/events/sw_interface_event", headers: bearer(tokens["reader"])).status == 403)
            let stream = try await h.events("/v1/events/sw_interface_event", headers: bearer(tokens["watcher"]))
            #expect(stream.status == 200)
            stream.close()
            #expect(try await h.post("/v1/cli_inband", #"{"cmd":"show version"}"#, headers: bearer(tokens["writer"])).status == 403)
            #expect(try await h.post("/v1/cli_inband", #"{"cmd":"show version"}"#, headers: bearer(tokens["root"])).status == 200)
            #expect(try await h.post("/v1/encode/control_ping", "{}", headers: bearer(tokens["writer"])).status == 403)
            // Probes and the index stay open; metrics need read.
            #expect(try await h.get("/healthz").status == 200)
            #expect(try await h.get("/readyz").status == 200)
            #expect(try await h.get("/metrics").status == 401)
            #expect(try await h.get("/metrics", headers: bearer(tokens["reader"])).status == 200)
        }
    }

    @Test func reloadingTheTokensFileRevokesAndGrants() async throws {
        let (path, old) = try Self.tokensFile(["a": [.read]])
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await GatewayHarness.run(configure: { $0.access.tokens = try? TokenStore(path: path) }) { h in
            #expect(try await h.get("/v1/show_version", headers: bearer(old["a"])).status == 200)
            let (newPath, new) = try Self.tokensFile(["b": [.read]])
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.moveItem(atPath: newPath, toPath: path)
            try h.gateway.reloadAccess()
            #expect(try await h.get("/v1/show_version", headers: bearer(old["a"])).status == 401)
            #expect(try await h.get("/v1/show_version", headers: bearer(new["b"])).status == 200)
            // A broken file keeps the tokens in force.
            try "not a token line".write(toFile: path, atomically: true, encoding: .utf8)
            #expect(throws: AccessError.self) { try h.gateway.reloadAccess() }
            #expect(try await h.get("/v1/show_version", headers: bearer(new["b"])).status == 200)
        }
    }

    @Test func theMessagePolicyDeniesByGlobAndCLIUnlessAllowedByName() async throws {
        try await GatewayHarness.run(configure: { $0.access.policy = MessagePolicy(deny: ["sw_interface_add_del_*", "create_*"]) }) { h in
            let r = try await h.post("/v1/sw_interface_add_del_address", #"{"sw_if_index":1,"prefix":"10.0.0.1/24"}"#)
            #expect(r.status == 403)
            #expect(try JSONParser.parse(r.body)["detail"]?.stringValue?.contains("sw_interface_add_del_*") == true)
            #expect(try await h.post("/v1/create_loopback", "{}").status == 403)
            #expect(h.simulator.receivedCount("create_loopback") == 0)
            let cli = try await h.post("/v1/cli_inband", #"{"cmd":"show version"}"#)
            #expect(cli.status == 403)
            #expect(h.simulator.receivedCount("cli_inband") == 0)
            #expect(try await h.post("/v1/sw_interface_set_flags", #"{"sw_if_index":1,"flags":1}"#).status == 200)
        }
        try await GatewayHarness.run(configure: { $0.access.policy = MessagePolicy(allow: ["cli_inband", "show_*"]) }) { (h) async throws in
            #expect(try await h.post("/v1/cli_inband", #"{"cmd":"show version"}"#).status == 200)
            #expect(try await h.get("/v1/show_version").status == 200)
            #expect(try await h.post("/v1/sw_interface_set_flags", "{}").status == 403)
        }
    }

    @Test func readOnlyServesOnlyReads() async throws {
        try await GatewayHarness.run(configure: { $0.access.policy = MessagePolicy(readOnly: true) }) { h in
            #expect(try await h.get("/v1/show_version").status == 200)
            #expect(try await h.get("/v1/sw_interface_dump").status == 200)
            #expect(try await h.post("/v1/sw_interface_dump", "{}").status == 200)
            #expect(try await h.get("/v1/sw_interface_tx_placement_get?sw_if_index=4294967295").status == 200)
            let stream = try await h.events("/v1/events/sw_interface_event")
            #expect(stream.status == 200)
            stream.close()
            let w = try await h.post("/v1/sw_interface_set_flags", #"{"sw_if_index":1,"flags":1}"#)
            #expect(w.status == 403)
            #expect(try JSONParser.parse(w.body)["detail"]?.stringValue?.contains("read-only") == true)
            #expect(try await h.post("/v1/create_loopback", "{}").status == 403)
            #expect(h.simulator.receivedCount("sw_interface_set_flags") + h.simulator.receivedCount("create_loopback") == 0)
            // The OpenAPI document and the schema tell the same policy: no operation that can
            // only answer 403, and the refused messages marked.
            let doc = try JSONParser.parse(try await h.get("/openapi.json").body)
            #expect(doc["paths"]?["/v1/show_version"]?["get"] != nil)
            #expect(doc["paths"]?["/v1/sw_interface_dump"]?["get"] != nil)
            #expect(doc["paths"]?["/v1/events/sw_interface_event"]?["get"] != nil)
            #expect(doc["paths"]?["/v1/sw_interface_set_flags"] == nil)
            #expect(doc["paths"]?["/v1/create_loopback"] == nil)
            let entry = try JSONParser.parse(try await h.get("/v1/schema/sw_interface_set_flags").body)
            #expect(entry["denied"]?.stringValue?.contains("read-only") == true)
            #expect(try JSONParser.parse(try await h.get("/v1/schema/show_version").body)["denied"] == nil)
            let list = try JSONParser.parse(try await h.get("/v1/schema").body)
            let denied = list["messages"]?.arrayValue?.filter { $0["denied"] == .bool(true) }.compactMap { $0["name"]?.stringValue } ?? []
            #expect(denied.contains("sw_interface_set_flags") && !denied.contains("show_version") && !denied.contains("sw_interface_details"))
        }
    }
}

/// Every limit is configurable and enforced.
@Suite(.serialized) struct LimitTests {
    @Test func sseSubscribersAreLimitedPerClientAndInAll() async throws {
        // A departed SSE client is noticed at the next write: heartbeats come fast here.
        try await GatewayHarness.run(configure: {
            $0.sseMaxPerClient = 2
            $0.events.maxSubscribers = 3
            $0.events.heartbeatInterval = .milliseconds(100)
        }) { h in
            let a = try await h.events("/v1/events/sw_interface_event")
            let b = try await h.events("/v1/events/sw_interface_event")
            let third = try await h.get("/v1/events/sw_interface_event")
            #expect(third.status == 429)
            #expect(third.header("retry-after") == "5")
            a.close()
            try await h.waitUntil("a's slot freed") {
                (try? await h.events("/v1/events/sw_interface_event")).map { s in defer { s.close() }; return s.status == 200 } ?? false
            }
            b.close()
        }
        try await GatewayHarness.run(configure: { $0.events.maxSubscribers = 1 }) { h in
            let a = try await h.events("/v1/events/sw_interface_event")
            let over = try await h.get("/v1/events/sw_interface_event")
            #expect(over.status == 429 && over.header("retry-after") == "5")
            a.close()
        }
    }

    @Test func requestsSlowerThanTheRequestTimeoutAre504() async throws {
        try await GatewayHarness.run(configure: { $0.requestTimeout = .milliseconds(300) }) { h in
            h.simulator.faults.delayReplies(to: "show_version", by: .seconds(1))
            let started = ContinuousClock.now
            let r = try await h.get("/v1/show_version")
            #expect(r.status == 504)
            #expect(ContinuousClock.now - started < .milliseconds(900))
            h.simulator.faults.clear()
            // VPP answers one client in order: the next call waits for the delayed reply first.
            try await h.waitUntil("calls are quick again") { (try? await h.get("/v1/show_version"))?.status == 200 }
        }
    }

    @Test func oversizedHeadersAreRefused() async throws {
        try await GatewayHarness.run(configure: { $0.http.connectionMemoryLimit = 8 * 1024 }) { h in
            let r = try await h.get("/v1/show_version", headers: [("X-Big", String(repeating: "a", count: 16 * 1024))])
            #expect(r.status == 431 || r.status == 413)
            #expect(try await h.get("/v1/show_version").status == 200)
        }
    }

    @Test func idleAndSlowConnectionsAreClosed() async throws {
        try await GatewayHarness.run(configure: { $0.http.connectionTimeout = 1 }) { h in
            let port = h.port
            // A slowloris client: half a request line, then nothing.
            let closed = try await offload { () -> Bool in
                let c = try RawHTTPConnection(port: port, timeout: 5)
                try c.send("GET /v1/show_vers")
                return try c.waitForPeerClose()
            }
            #expect(closed)
            #expect(try await h.get("/v1/show_version").status == 200)
        }
    }

    @Test func connectionsBeyondTheLimitAreNotServed() async throws {
        try await GatewayHarness.run(configure: { $0.http.connectionLimit = 4 }) { h in
            let port = h.port
            let refused = try await offload { () -> Bool in
                let held = try (0..<4).map { _ in try RawHTTPConnection(port: port, timeout: 2) }
                for c in held { _ = try c.request("GET", "/healthz") }
                let extra = try RawHTTPConnection(port: port, timeout: 2)
                try? extra.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                let answered = (try? extra.readResponse()) != nil
                for c in held { c.close() }
                return !answered
            }
            #expect(refused)
            try await h.waitUntil("a slot is free again") { (try? await h.get("/healthz"))?.status == 200 }
        }
    }
}
