import Testing
import VPPJSON
import VPPOpenAPI
import VPPSchema
import VPPTestSupport

/// The GTP-U error-indication plugin: an older-format API whose event carries a u8 VLA.
@Suite struct TestgovppTests {
    @Test func theErrorIndicationEventHasItsSSEPathWithTheRawBytesAsHex() throws {
        let doc = Doc(OpenAPIGenerator(schema: try Fixtures.schemaTestgovpp()).document())
        let op = try #require(doc.operation("/v1/events/cu_up_gtp_error_ind_event", "get"))
        #expect(op["operationId"]?.stringValue == "events_cu_up_gtp_error_ind_event")
        #expect(op["tags"]?.stringArray == ["testgovpp"])
        #expect(op["x-vpp-registration"]?.stringValue == "want_cu_up_gtp_error_ind_events")
        let sse = try #require(op["responses"]?["200"]?["content"]?["text/event-stream"])
        let data = sse["schema"]?["oneOf"]?.arrayValue?.first?["properties"]?["data"]
        #expect(data?["contentMediaType"]?.stringValue == "application/json")
        let event = try #require(doc.resolve(data?["contentSchema"]))
        let raw = try #require(event["properties"]?["raw_msg_data"])
        #expect(raw["type"]?.stringValue == "string")
        #expect(raw["pattern"]?.stringValue == "^0x([0-9a-fA-F]{2})*$")
        #expect(raw["maxLength"]?.numberValue?.text == "512") // "0x" + 255 bytes, counted by u8 raw_msg_len
        #expect(event["required"]?.stringArray == ["_msgname", "_crc", "pid", "type", "data", "raw_msg_len", "raw_msg_data"])
        #expect(Doc.refName(event["properties"]?["data"]) == "cu_up_gtp_error_ind")
        // enable_disable and pid are the gateway's; the event's scalar fields are filters.
        let params = op["parameters"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(params == ["type", "raw_msg_len", "raw_msg_data"])
        #expect(sse["example"]?.stringValue?.hasPrefix("id: 1\nevent: cu_up_gtp_error_ind_event\ndata: {") == true)
    }

    @Test func thePluginsCallIsOfferedAndItsRegistrationIsNot() throws {
        let doc = Doc(OpenAPIGenerator(schema: try Fixtures.schemaTestgovpp()).document())
        #expect(doc.operation("/v1/testgovpp_enable_disable", "post") != nil)
        #expect(doc.operation("/v1/want_cu_up_gtp_error_ind_events", "post") == nil)
        // cu_up_event_type has no member 0: the integer form covers it.
        let type = try #require(doc.property("cu_up_gtp_error_ind_event", "type"))
        #expect(type["anyOf"]?.arrayValue?.last?["type"]?.stringValue == "integer")
    }
}
