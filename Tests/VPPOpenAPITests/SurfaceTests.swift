import Testing
import VPPJSON
import VPPOpenAPI
import VPPSchema
import VPPTestSupport

/// Which operations the document offers, computed here independently from the schema.
@Suite struct SurfaceTests {
    @Test func everyOfferedRequestReplyHasAPostOperationNamedAfterIt() throws {
        let schema = try Fixtures.schema2606()
        let doc = Doc(try Fixtures.document2606())
        // Messages that answer a service are not requests, even when a `X_reply` exists.
        let answers = Set(schema.services.values.flatMap { [$0.reply, $0.streamMessage].compactMap { $0 } + $0.events })
        #expect(answers.contains("qos_mark_details"))
        #expect(doc.operation("/v1/qos_mark_details", "post") == nil)
        var count = 0
        for (name, service) in schema.services where service.pattern == .requestReply {
            guard let m = schema.message(name), !name.hasPrefix("want_"), !answers.contains(name),
                  !APISurface.transportMessages.contains(name), let reply = service.reply else { continue }
            let op = try #require(doc.operation("/v1/\(name)", "post"), "\(name)")
            #expect(op["operationId"]?.stringValue == name)
            #expect(op["tags"]?.stringArray == [m.module])
            #expect(op["x-vpp-crc"]?.stringValue == m.crc)
            #expect(Doc.refName(op["requestBody"]?["content"]?["application/json"]?["schema"]) == name)
            #expect(Doc.refName(op["responses"]?["200"]?["content"]?["application/json"]?["schema"]) == reply)
            count += 1
        }
        #expect(count > 700)
    }

    @Test func everyDumpAndGetStreamHasGetAndPostReturningItsDetails() throws {
        let schema = try Fixtures.schema2606()
        let doc = Doc(try Fixtures.document2606())
        var count = 0
        for (name, service) in schema.services where service.pattern == .dump || service.pattern == .getStream {
            guard APISurface.isOffered(name), let details = service.detailsMessage else { continue }
            for method in ["get", "post"] {
                let op = try #require(doc.operation("/v1/\(name)", method), "\(method) \(name)")
                #expect(op["operationId"]?.stringValue == (method == "post" ? name : "\(name)_get"))
                let content = op["responses"]?["200"]?["content"]
                #expect(Doc.refName(content?["application/json"]?["schema"]?["items"]) == details, "\(name)")
                #expect(Doc.refName(content?["application/x-ndjson"]?["schema"]) == details, "\(name)")
            }
            count += 1
        }
        #expect(count > 200)
    }

    @Test func getStreamCallsLeaveTheCursorToTheGateway() throws {
        let doc = Doc(try Fixtures.document2606())
        let get = try #require(doc.operation("/v1/sw_interface_tx_placement_get", "get"))
        let names = get["parameters"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names == ["sw_if_index"])
        let body = try #require(doc.component("sw_interface_tx_placement_get"))
        #expect(body["properties"]?["cursor"] == nil)
        #expect(body["properties"]?["sw_if_index"] != nil)
    }

    @Test func everyEventWithARegistrationHasAnSSEStream() throws {
        let schema = try Fixtures.schema2606()
        let doc = Doc(try Fixtures.document2606())
        var count = 0
        var passive: [String] = []
        for name in schema.messageNames {
            guard let m = schema.message(name), m.kind == .event, !m.hasContext,
                  let want = schema.registration(for: name) else { continue }
            let op = try #require(doc.operation("/v1/events/\(name)", "get"), "\(name)")
            if let w = schema.message(want), !w.fields.contains(where: { ["enable", "enable_disable"].contains($0.name) }) {
                // Sent after a call that is not a registration: a passive stream, and the
                // call itself is an ordinary operation.
                passive.append(name)
                #expect(op["description"]?.stringValue?.contains("side effect of `POST /v1/\(want)`") == true)
                #expect(doc.operation("/v1/\(want)", "post") != nil, "\(want)")
            }
            #expect(op["operationId"]?.stringValue == "events_\(name)")
            #expect(op["x-vpp-registration"]?.stringValue == want)
            let sse = op["responses"]?["200"]?["content"]?["text/event-stream"]
            // The schema of one event: this message's, or a control event.
            let kinds = sse?["schema"]?["oneOf"]?.arrayValue ?? []
            #expect(kinds.count == 2)
            #expect(kinds.first?["properties"]?["event"]?["const"]?.stringValue == name)
            #expect(Doc.refName(kinds.first?["properties"]?["data"]?["contentSchema"]) == name)
            #expect(Doc.refName(kinds.last) == "SSEControlEvent")
            let params = op["parameters"]?.arrayValue ?? []
            #expect(params.contains { Doc.refName($0) == "LastEventID" })
            #expect(params.contains { Doc.refName($0) == "LastEventIDQuery" })
            // EventSource cannot set headers: its token may travel as ?access_token=.
            #expect(op["security"]?.arrayValue?.contains { $0["accessToken"] != nil } == true)
            for p in params.compactMap({ $0["name"]?.stringValue }) {
                #expect(!["enable_disable", "enable", "pid", "client_index", "context"].contains(p), "\(name): \(p)")
            }
            count += 1
        }
        #expect(count == 16)
        #expect(passive == ["dhcp_compl_event", "nat44_ei_ha_resync_completed_event", "ping_finished_event"])
    }

    @Test func eventStreamsTakeRegistrationArgumentsAndFiltersAsQueryParameters() throws {
        let doc = Doc(try Fixtures.document2606())
        let interfaceEvents = try #require(doc.operation("/v1/events/sw_interface_event", "get"))
        let names = interfaceEvents["parameters"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        // sw_interface_event: pid, sw_if_index, flags (a flag set: no equality filter), deleted.
        #expect(names == ["sw_if_index", "deleted"])
        let macs = try #require(doc.operation("/v1/events/l2_macs_event", "get"))
        let macNames = macs["parameters"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(Array(macNames.prefix(3)) == ["learn_limit", "scan_delay", "max_macs_in_event"])
        let multiplexed = try #require(doc.operation("/v1/events", "get"))
        let name = multiplexed["parameters"]?.arrayValue?.first
        #expect(name?["name"]?.stringValue == "name")
        #expect(name?["explode"] == .bool(true))
        #expect(name?["schema"]?["items"]?["enum"]?.stringArray?.contains("sw_interface_event") == true)
    }

    @Test func registrationsAndTransportMessagesAreNotOffered() throws {
        let doc = Doc(try Fixtures.document2606())
        let paths = doc.value["paths"]?.objectValue?.keys ?? []
        // want_ping_finished_events starts a ping (it has no enable field): the only want_* call.
        #expect(paths.filter { $0.hasPrefix("/v1/want_") } == ["/v1/want_ping_finished_events"])
        for name in ["sockclnt_create", "sockclnt_delete", "memclnt_create", "memclnt_keepalive", "rx_thread_exit",
                     "trace_plugin_msg_ids", "rpc_call", "sock_init_shm", "memclnt_create_v2"] {
            #expect(!paths.contains("/v1/\(name)"), "\(name)")
        }
        for name in ["control_ping", "show_version", "get_api_json", "api_versions", "cli_inband"] {
            #expect(paths.contains("/v1/\(name)"), "\(name)")
        }
        // Registration messages keep their component (for /v1/encode) but get no operation.
        #expect(doc.component("want_interface_events") != nil)
    }

    @Test func readOnlyRequestsAlsoAnswerGetWithScalarQueryParameters() throws {
        let doc = Doc(try Fixtures.document2606())
        #expect(doc.operation("/v1/show_version", "get")?["operationId"]?.stringValue == "show_version_get")
        #expect(doc.operation("/v1/get_first_msg_id", "get") != nil)
        #expect(doc.operation("/v1/sw_interface_get_table", "get") != nil)
        #expect(doc.operation("/v1/sw_interface_set_flags", "get") == nil)
        #expect(doc.operation("/v1/cli_inband", "get") == nil)
        let table = try #require(doc.operation("/v1/sw_interface_get_table", "get"))
        let params = table["parameters"]?.arrayValue ?? []
        #expect(params.compactMap { $0["name"]?.stringValue } == ["sw_if_index", "is_ipv6"])
        #expect(params.allSatisfy { $0["in"]?.stringValue == "query" && $0["required"] == .bool(false) })
        // A flag set as a query parameter: repeated (or a comma list).
        let node = try #require(doc.operation("/v1/graph_node_get", "get")?["parameters"]?.arrayValue?.first { $0["name"]?.stringValue == "flags" })
        #expect(Doc.refName(node["schema"]) == "node_flag")
        #expect(node["style"]?.stringValue == "form")
        #expect(node["explode"] == .bool(true))
        #expect(node["description"]?.stringValue?.hasSuffix("repeat the parameter or give a comma-separated list.") == true)
        let dump = try #require(doc.operation("/v1/sw_interface_dump", "get"))
        #expect(dump["parameters"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["sw_if_index", "name_filter_valid", "name_filter"])
    }

    @Test func operationIdsAreUnique() throws {
        let doc = Doc(try Fixtures.document2606())
        let ids = doc.operations.compactMap { $0.operation["operationId"]?.stringValue }
        #expect(ids.count == doc.operations.count)
        #expect(Set(ids).count == ids.count)
    }

    @Test func surfaceListsAreSortedAndMatchTheDocument() throws {
        let schema = try Fixtures.schema2606()
        let surface = APISurface(schema: schema)
        #expect(surface.calls.map(\.name) == surface.calls.map(\.name).sorted())
        #expect(surface.dumps.map(\.name) == surface.dumps.map(\.name).sorted())
        #expect(surface.call("show_version")?.reply == "show_version_reply")
        #expect(surface.call("show_version")?.readOnly == true)
        #expect(surface.dump("sw_interface_tx_placement_get")?.cursorField == "cursor")
        #expect(surface.eventStream("sw_interface_event")?.registration == "want_interface_events")
        #expect(surface.eventStream("sw_interface_event")?.enableField == "enable_disable")
        let doc = Doc(try Fixtures.document2606())
        let messageOps = doc.operations.filter { $0.operation["x-vpp-message"] != nil }
        #expect(messageOps.count == surface.calls.count + surface.calls.filter(\.readOnly).count
            + 2 * surface.dumps.count + surface.events.count)
    }
}
