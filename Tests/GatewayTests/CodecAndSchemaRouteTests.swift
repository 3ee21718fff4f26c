import Foundation
import Testing
import VPPJSON
import VPPTestSupport

/// Decode, encode, schema, OpenAPI and the operational endpoints.
@Suite(.serialized) struct CodecAndSchemaRouteTests {
    func hex(_ s: String) -> [UInt8] {
        stride(from: 0, to: s.count, by: 2).compactMap {
            UInt8(s[s.index(s.startIndex, offsetBy: $0)..<s.index(s.startIndex, offsetBy: $0 + 2)], radix: 16)
        }
    }

    @Test func decodeTakesARawMessageByNameFramesByIdAndTraces() async throws {
        try await GatewayHarness.run { h in
            let port = h.port
            let raw = hex("010111223344000000000000000000003039")
            let byName = try await offload {
                let c = try RawHTTPConnection(port: port)
                return try c.request("POST", "/v1/decode?message=control_ping_reply", body: raw)
            }
            #expect(byName.status == 200)
            #expect(byName.text == #"{"_msgname":"control_ping_reply","_crc":"f6b0b8ca","retval":0,"vpe_pid":12345}"#)
            // Socket frames use the connected VPP's ids: control_ping_reply is memclnt id 24.
            let session = try #require(h.gateway.client.session)
            let versionID = try #require(session.messageID(of: "show_version"))
            var frames: [UInt8] = []
            for payload in [[0, 24] + Array(raw.dropFirst(2)), [UInt8(versionID >> 8), UInt8(versionID & 0xFF), 0, 0, 0, 1, 0, 0, 0, 2]] {
                frames += [0, 0, 0, 0, 0, 0, 0, 0] + withUnsafeBytes(of: UInt32(payload.count).bigEndian, Array.init) + [0, 0, 0, 0] + payload
            }
            let framed = frames
            let byID = try await offload {
                try RawHTTPConnection(port: port).request("POST", "/v1/decode", body: framed)
            }
            let items = try #require(try JSONParser.parse(byID.body).arrayValue)
            #expect(items.map { $0["_msgname"] } == [.string("control_ping_reply"), .string("show_version")])
            // A capture cut inside a third frame keeps the two whole ones and says where it ends.
            let cut = framed + framed.prefix(20)
            let partial = try await offload {
                try RawHTTPConnection(port: port).request("POST", "/v1/decode", body: cut)
            }
            #expect(partial.status == 200)
            let kept = try #require(try JSONParser.parse(partial.body).arrayValue)
            #expect(kept.count == 3)
            #expect(kept.prefix(2).map { $0["_msgname"] } == [.string("control_ping_reply"), .string("show_version")])
            #expect(kept.last?["_error"]?["kind"] == .string("truncated"))
            #expect(kept.last?["_error"]?["index"]?.numberValue?.int64Value == 2)
            let bad = try await offload {
                try RawHTTPConnection(port: port).request("POST", "/v1/decode?message=control_ping_reply", body: [1, 1, 0])
            }
            #expect(bad.status == 400)
        }
    }

    @Test func encodeReturnsTheBytesWithTheLiveMessageID() async throws {
        try await GatewayHarness.run { h in
            let r = try await h.post("/v1/encode/sw_interface_set_flags?context=7&format=hex",
                                     #"{"sw_if_index":1,"flags":["IF_STATUS_API_FLAG_ADMIN_UP"]}"#)
            #expect(r.status == 200)
            let id = try #require(h.gateway.client.session?.messageID(of: "sw_interface_set_flags"))
            #expect(r.header("x-vpp-msg-id") == String(id))
            let idHex = String(format: "%04x", id)
            #expect(r.text == idHex + "00000000000000070000000100000001\n")
            let binary = try await h.post("/v1/encode/control_ping?msg_id=23", "{}")
            #expect(binary.header("content-type") == "application/octet-stream")
            #expect(binary.body == [0, 23, 0, 0, 0, 0, 0, 0, 0, 0])
            let format = try await h.post("/v1/encode/control_ping?format=base64", "{}")
            #expect(format.status == 400)
            #expect(try JSONParser.parse(format.body)["pointer"] == .string("/format"))
            let bad = try await h.post("/v1/encode/sw_interface_set_flags", #"{"flags":"NOPE"}"#)
            #expect(bad.status == 400)
            #expect(try JSONParser.parse(bad.body)["pointer"] == .string("/flags"))
        }
    }

    @Test func schemaListsEveryMessageAndDescribesOne() async throws {
        try await GatewayHarness.run { h in
            let list = try JSONParser.parse(try await h.get("/v1/schema").body)
            #expect(list["connected"] == .bool(true))
            let messages = try #require(list["messages"]?.arrayValue)
            let dump = try #require(messages.first { $0["name"] == .string("sw_interface_dump") })
            #expect(dump["kind"] == .string("dump"))
            #expect(dump["status"] == .string("available"))
            let one = try JSONParser.parse(try await h.get("/v1/schema/sw_interface_tx_placement_get").body)
            #expect(one["kind"] == .string("get-stream"))
            #expect(one["service"]?["stream"] == .string("sw_interface_tx_placement_details"))
            #expect(one["endpoint"] == .string("GET|POST /v1/sw_interface_tx_placement_get"))
            let flags = try JSONParser.parse(try await h.get("/v1/schema/if_status_flags").body)
            #expect(flags["kind"] == .string("flag-set"))
            #expect(try await h.get("/v1/schema/nope").status == 404)
        }
    }

    @Test func openAPIIsServedForTheLoadedSchema() async throws {
        try await GatewayHarness.run { h in
            let r = try await h.get("/openapi.json")
            #expect(r.status == 200)
            let doc = try JSONParser.parse(r.body)
            #expect(doc["openapi"]?.stringValue?.hasPrefix("3.1") == true)
            #expect(doc["paths"]?["/v1/show_version"] != nil)
            #expect(doc["paths"]?["/v1/events/sw_interface_event"] != nil)
        }
    }

    @Test func healthReadinessMetricsAndIndex() async throws {
        try await GatewayHarness.run { h in
            #expect(try await h.get("/healthz").status == 200)
            let ready = try JSONParser.parse(try await h.get("/readyz").body)
            #expect(ready["status"] == .string("ready"))
            _ = try await h.get("/v1/show_version")
            let metrics = try await h.get("/metrics")
            #expect(metrics.header("content-type")?.hasPrefix("text/plain") == true)
            #expect(metrics.text.contains("vpp_gateway_vpp_connected 1"))
            #expect(metrics.text.contains("vpp_gateway_vpp_round_trip_seconds_count 1"))
            #expect(metrics.text.contains(#"vpp_gateway_http_requests_total{route="/v1/{message}",method="GET",status="200"}"#))
            let index = try await h.get("/")
            #expect(index.header("content-type")?.hasPrefix("text/html") == true)
            #expect(index.text.contains("/openapi.json"))
        }
    }
}
