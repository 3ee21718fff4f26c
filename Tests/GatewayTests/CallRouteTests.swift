import Foundation
import Testing
import VPPClient
import VPPJSON
import VPPTestSupport

/// Requests, dumps and every error status, over HTTP on TCP against the simulator.
@Suite(.serialized) struct CallRouteTests {
    func json(_ r: RawResponse) throws -> JSONValue { try JSONParser.parse(r.body) }

    @Test func requestsAnswerWithTheCanonicalReply() async throws {
        try await GatewayHarness.run() { h in
            for r in [try await h.get("/v1/show_version"), try await h.post("/v1/show_version", ""),
                      try await h.post("/v1/show_version", "{}")] {
                #expect(r.status == 200)
                #expect(r.header("content-type") == "application/json")
                let v = try json(r)
                #expect(v["_msgname"] == .string("show_version_reply"))
                #expect(v["_crc"] == .string("c919bde1"))
                #expect(v["retval"]?.numberValue?.int64Value == 0)
                #expect(r.header("x-request-id") != nil)
            }
            let set = try await h.post("/v1/sw_interface_set_flags", #"{"sw_if_index":1,"flags":["IF_STATUS_API_FLAG_ADMIN_UP"]}"#)
            #expect(set.status == 200)
            let dump = try await h.get("/v1/sw_interface_dump?sw_if_index=1")
            let details = try #require(try json(dump).arrayValue)
            #expect(details.count == 1)
            #expect(details.first?["flags"] == .array([.string("IF_STATUS_API_FLAG_ADMIN_UP"), .string("IF_STATUS_API_FLAG_LINK_UP")]))
        }
    }

    /// `http-threads` > 1: libmicrohttpd's thread pool, each thread with its own connections,
    /// all sharing one VPP connection whose replies must reach the request that asked.
    @Test func aPoolOfPollingThreadsGivesEveryConcurrentCallItsOwnReply() async throws {
        try await GatewayHarness.run(interfaces: 24, configure: { $0.http.threadPoolSize = 3 }) { h in
            let stream = try await h.events("/v1/events/sw_interface_event?sw_if_index=7")
            try await h.waitUntil("registered") { h.simulator.receivedCount("want_interface_events") == 1 }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 1...24 {
                    group.addTask {
                        for round in 0..<4 {
                            let dump = try await h.get("/v1/sw_interface_dump?sw_if_index=\(i)")
                            let details = try self.json(dump).arrayValue
                            #expect(details?.count == 1)
                            #expect(details?.first?["sw_if_index"]?.numberValue?.int64Value == Int64(i))
                            // Alternate valid and invalid indexes: 200 and 422 must not cross.
                            let index = round % 2 == 0 ? i : 1000 + i
                            let set = try await h.post("/v1/sw_interface_set_flags", #"{"sw_if_index":\#(index),"flags":1}"#)
                            #expect(set.status == (round % 2 == 0 ? 200 : 422))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let event = try await stream.next()
            #expect(event.json?["sw_if_index"]?.numberValue?.int64Value == 7)
            stream.close()
        }
    }

    @Test func aNonZeroRetvalIs422WithTheVPPErrorNameAndTheReply() async throws {
        try await GatewayHarness.run() { h in
            let r = try await h.post("/v1/sw_interface_set_flags", #"{"sw_if_index":99,"flags":1}"#)
            #expect(r.status == 422)
            #expect(r.header("content-type") == "application/problem+json")
            let p = try json(r)
            #expect(p["type"] == .string("https://vpp-gateway.dev/problems/vpp-error"))
            #expect(p["retval"]?.numberValue?.int64Value == -2)
            #expect(p["error"] == .string("INVALID_SW_IF_INDEX"))
            #expect(p["reply"]?["_msgname"] == .string("sw_interface_set_flags_reply"))
        }
    }

    @Test func badInputIs400NamingTheFieldAndSendsNothingToVPP() async throws {
        try await GatewayHarness.run() { h in
            let before = h.simulator.receivedCount("sw_interface_set_flags")
            let malformed = try await h.post("/v1/sw_interface_set_flags", #"{"sw_if_index":"#)
            #expect(malformed.status == 400)
            #expect(try json(malformed)["type"] == .string("https://vpp-gateway.dev/problems/malformed-json"))
            let wrong = try await h.post("/v1/sw_interface_set_flags", #"{"sw_if_index":1,"flags":["NOPE"]}"#)
            #expect(wrong.status == 400)
            #expect(try json(wrong)["pointer"] == .string("/flags/0"))
            let unknownField = try await h.post("/v1/sw_interface_set_flags", #"{"sw_if_idx":1}"#)
            #expect(try json(unknownField)["pointer"] == .string("/sw_if_idx"))
            let notObject = try await h.post("/v1/sw_interface_set_flags", "[1]")
            #expect(notObject.status == 400)
            let badQuery = try await h.get("/v1/sw_interface_dump?sw_if_index=one")
            #expect(badQuery.status == 400)
            #expect(try json(badQuery)["pointer"] == .string("/sw_if_index"))
            #expect(h.simulator.receivedCount("sw_interface_set_flags") == before)
        }
    }

    @Test func unknownAndUncallableMessagesAre404AndWrongMethodsAre405() async throws {
        try await GatewayHarness.run() { h in
            let unknown = try await h.post("/v1/show_versoin", "{}")
            #expect(unknown.status == 404)
            #expect(try json(unknown)["detail"]?.stringValue?.contains("did you mean show_version") == true)
            for name in ["want_interface_events", "sw_interface_details", "show_version_reply", "sockclnt_delete", "sw_interface_event"] {
                let r = try await h.post("/v1/\(name)", "{}")
                #expect(r.status == 404, "\(name)")
                #expect(try json(r)["type"] == .string("https://vpp-gateway.dev/problems/not-callable"), "\(name)")
            }
            let wrongMethod = try await h.get("/v1/sw_interface_set_flags")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.header("allow") == "POST")
            #expect(try await h.request("DELETE", "/v1/schema").status == 405)
            // Documents answer HEAD; a call would make VPP work for nothing.
            for path in ["/openapi.json", "/v1/schema", "/v1/schema/show_version", "/metrics", "/healthz"] {
                let head = try await h.request("HEAD", path)
                #expect(head.status == 200 && head.body.isEmpty, "\(path)")
            }
            let headCall = try await h.request("HEAD", "/v1/show_version")
            #expect(headCall.status == 405 && headCall.header("allow") == "GET, POST")
            #expect(try await h.get("/nope").status == 404)
        }
    }

    @Test func oversizedBodiesAre413() async throws {
        try await GatewayHarness.run(configure: { $0.http.maxBodySize = 1024 }) { h in
            let r = try await h.post("/v1/cli_inband", #"{"cmd":""# + String(repeating: "x", count: 4096) + #""}"#)
            #expect(r.status == 413)
            #expect(h.simulator.receivedCount("cli_inband") == 0)
        }
    }

    @Test func messagesTheConnectedVPPLacksAre501() async throws {
        // The gateway knows the whole 26.06 API; the simulator offers only what it implements.
        try await GatewayHarness.run(configure: { $0.client.apiDirectories = [SharedData.api2606] }) { h in
            let r = try await h.post("/v1/ip_table_add_del", #"{"is_add":true,"table":{"table_id":5}}"#)
            #expect(r.status == 501)
            #expect(try json(r)["type"] == .string("https://vpp-gateway.dev/problems/message-unavailable"))
            let schema = try json(try await h.get("/v1/schema/ip_table_add_del"))
            #expect(schema["status"] == .string("missing"))
        }
    }

    @Test func aSlowVPPIs504AndNoVPPIs503() async throws {
        let h = try await GatewayHarness.start { $0.client.callTimeout = .milliseconds(300) }
        h.simulator.faults.delayReplies(to: "show_version", by: .seconds(2))
        let slow = try await h.get("/v1/show_version")
        #expect(slow.status == 504)
        h.simulator.faults.clear()
        await h.simulator.stop()
        try await h.waitUntil("disconnected") { h.gateway.client.session == nil }
        let down = try await h.get("/v1/show_version")
        #expect(down.status == 503)
        #expect(down.header("retry-after") != nil)
        #expect(try await h.get("/readyz").status == 503)
        #expect(try await h.get("/healthz").status == 200)
        // Offline routes keep working from the known schema.
        #expect(try await h.get("/v1/schema/show_version").status == 200)
        // Encoding offline: memclnt ids are fixed, other ids exist only on a running VPP.
        let ping = try await h.post("/v1/encode/control_ping?format=hex", "{}")
        #expect(ping.status == 200 && ping.text.hasPrefix("0017"))
        let flags = try await h.post("/v1/encode/sw_interface_set_flags", #"{"sw_if_index":1}"#)
        #expect(flags.status == 503 && flags.text.contains("msg_id"))
        #expect(try await h.post("/v1/encode/sw_interface_set_flags?msg_id=600", #"{"sw_if_index":1}"#).status == 200)
        await h.stop()
    }

    @Test func aVPPThatStopsAnsweringIsNotReadyLongBeforeTheConnectionIsGivenUp() async throws {
        try await GatewayHarness.run(configure: {
            $0.client.callTimeout = .milliseconds(300)
            $0.client.liveness = LivenessPolicy(idleBeforePing: .milliseconds(100), deadAfterSilence: .seconds(60))
        }) { h in
            #expect(try await h.get("/readyz").status == 200)
            // VPP's main thread stuck (as in a hang, or SIGSTOP): nothing comes back.
            h.simulator.faults.delayReplies(by: .seconds(4))
            try await h.waitUntil("not ready") { (try? await h.get("/readyz"))?.status == 503 }
            let r = try await h.get("/readyz")
            #expect(r.text.contains("has not answered") && r.header("retry-after") == "1")
            #expect(h.gateway.client.session != nil, "the connection itself is kept")
            h.simulator.faults.clear()
            try await h.waitUntil("ready again", timeout: .seconds(15)) { (try? await h.get("/readyz"))?.status == 200 }
        }
    }

    @Test func dumpsStreamTenThousandInterfacesAsAnArrayOrNDJSON() async throws {
        try await GatewayHarness.run(interfaces: 10_000) { h in
            let array = try await h.get("/v1/sw_interface_dump")
            #expect(array.status == 200)
            #expect(array.header("transfer-encoding")?.contains("chunked") == true)
            let items = try #require(try json(array).arrayValue)
            #expect(items.count == 10_001) // local0 + 10,000 loopbacks
            #expect(items.last?["interface_name"] == .string("loop9999"))
            let nd = try await h.get("/v1/sw_interface_dump", headers: [("Accept", "application/x-ndjson")])
            #expect(nd.header("content-type") == "application/x-ndjson")
            let lines = nd.text.split(separator: "\n")
            #expect(lines.count == 10_001)
            #expect(lines.allSatisfy { (try? JSONParser.parse(String($0)))?["_msgname"] == .string("sw_interface_details") })
            let filtered = try await h.post("/v1/sw_interface_dump", #"{"name_filter_valid":true,"name_filter":"loop999"}"#)
            #expect(try json(filtered).arrayValue?.count == 11) // loop999, loop9990…loop9999
            let empty = try await h.get("/v1/sw_interface_dump?sw_if_index=123456")
            #expect(empty.text == "[]")
            // Accept's q-values decide; NDJSON must be asked for by name.
            for (accept, type) in [("application/x-ndjson;q=0.1, application/json", "application/json"),
                                   ("application/json;q=0.5, application/x-ndjson", "application/x-ndjson"),
                                   ("application/x-ndjson, */*;q=0.8", "application/x-ndjson"),
                                   ("*/*", "application/json"), ("application/x-ndjson;q=0", "application/json")] {
                let r = try await h.get("/v1/sw_interface_dump?sw_if_index=1", headers: [("Accept", accept)])
                #expect(r.header("content-type") == type, "\(accept)")
            }
        }
    }

    @Test func getStreamCallsArePagedThroughEveryCursor() async throws {
        try await GatewayHarness.run(interfaces: 10, streamPageSize: 3) { h in
            let r = try await h.get("/v1/sw_interface_tx_placement_get?sw_if_index=4294967295")
            #expect(r.status == 200)
            let items = try #require(try json(r).arrayValue)
            #expect(items.count == 10) // one queue per loopback; local0 has none
            #expect(items.allSatisfy { $0["_msgname"] == .string("sw_interface_tx_placement_details") })
            #expect(h.simulator.receivedCount("sw_interface_tx_placement_get") >= 4)
        }
    }

    /// VPP's vector get/stream macro answers -7 INVALID_VALUE with cursor ~0 when there is
    /// nothing to send (api_helper_macros.h:465-500): that is an empty list, while a bad
    /// interface stays a VPP error.
    @Test func aGetStreamCallWithNothingToSendIsAnEmptyList() async throws {
        try await GatewayHarness.run(interfaces: 2) { h in
            let local0 = try await h.get("/v1/sw_interface_tx_placement_get?sw_if_index=0")
            #expect(local0.status == 200)
            #expect(try json(local0).arrayValue?.count == 0)
            let ndjson = try await h.get("/v1/sw_interface_tx_placement_get?sw_if_index=0",
                                         headers: [("Accept", "application/x-ndjson")])
            #expect(ndjson.status == 200)
            #expect(ndjson.text.isEmpty)
            let loop0 = try await h.get("/v1/sw_interface_tx_placement_get?sw_if_index=1")
            #expect(try json(loop0).arrayValue?.count == 1)
            let missing = try await h.get("/v1/sw_interface_tx_placement_get?sw_if_index=77")
            #expect(missing.status == 422)
            #expect(try json(missing)["retval"]?.numberValue?.int64Value == -2)
        }
    }
}
