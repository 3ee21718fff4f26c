import Foundation
import Testing
import VPPJSON
import VPPTestSupport
@testable import VPPSchema

@Suite struct SchemaLoaderTests {
    @Test func loadsTheWholeVPP2606SetWithoutProblems() throws {
        let schema = try SchemaLoader.load(paths: [SharedData.api2606])
        #expect(schema.modules.count == 150)
        #expect(schema.messages.count == 2093)
    }

    @Test func loadsTheOlderFormatGTPUPluginAndTheVectorAPIs() throws {
        let schema = try SchemaLoader.load(paths: SharedData.allAPIFolders + [SharedData.vectorAPIs])
        let event = try #require(schema.message("cu_up_gtp_error_ind_event"))
        #expect(event.kind == .event)
        #expect(event.crc == "6ce619fe")
        #expect(event.module == "testgovpp")
        let raw = try #require(event.fields.last)
        #expect(raw.cardinality == .variable(lengthField: "raw_msg_len"))
        #expect(schema.registration(for: "cu_up_gtp_error_ind_event") == "want_cu_up_gtp_error_ind_events")
        #expect(schema.message("codec_test_scalars") != nil)
        #expect(schema.message("test_vla5") != nil)
    }

    @Test func loadsTheGetAPIJSONArrayForm() throws {
        let files = try FileManager.default.subpathsOfDirectory(atPath: SharedData.api2606)
            .filter { $0.hasSuffix(".api.json") }.sorted()
        var text = "["
        for (i, f) in files.enumerated() {
            if i > 0 { text += "," }
            text += try String(contentsOfFile: SharedData.api2606 + "/" + f, encoding: .utf8)
        }
        text += "]"
        var loader = SchemaLoader()
        loader.add(json: Array(text.utf8), source: "get_api_json")
        let schema = try loader.build()
        #expect(schema.messages.count == 2093)
        #expect(schema.modules.count == 150)
        #expect(schema.message(nameCRC: "control_ping_51077d14")?.name == "control_ping")
    }

    @Test func assignsMessageKindsFromServices() throws {
        let schema = try SchemaLoader.load(paths: [SharedData.api2606])
        let expected: [(String, MessageKind)] = [
            ("show_version", .request), ("show_version_reply", .reply),
            ("sw_interface_dump", .dump), ("sw_interface_details", .details),
            ("sw_interface_tx_placement_get", .getStream), ("sw_interface_tx_placement_details", .details),
            ("sw_interface_tx_placement_get_reply", .reply),
            ("want_interface_events", .eventRegistration), ("sw_interface_event", .event),
            ("control_ping_reply", .reply), ("sockclnt_create", .request), ("igmp_event", .event),
            ("lldp_dump", .getStream),
        ]
        for (name, kind) in expected {
            #expect(schema.message(name)?.kind == kind, "\(name)")
        }
        #expect(schema.service(for: "sw_interface_dump")?.detailsMessage == "sw_interface_details")
        #expect(schema.service(for: "sw_interface_tx_placement_get")?.pattern == .getStream)
        #expect(schema.service(for: "want_ip_neighbor_events_v2")?.events == ["ip_neighbor_event_v2"])
        #expect(schema.service(for: "rx_thread_exit")?.pattern == .noReply)
        #expect(schema.registration(for: "sw_interface_event") == "want_interface_events")
        #expect(schema.request(answeredBy: "sw_interface_details") == "sw_interface_dump")
    }

    @Test func gresBrokenDumpWithContextCarryingEventsIsADump() throws {
        // gre.api declares `gre_tunnel_dump_v2 returns gre_tunnel_dump_v2_reply events
        // gre_tunnel_details_v2`, but VPP's handler only ever sends the details.
        let schema = try SchemaLoader.load(paths: [SharedData.api2606])
        let service = try #require(schema.service(for: "gre_tunnel_dump_v2"))
        #expect(service.pattern == .dump)
        #expect(service.detailsMessage == "gre_tunnel_details_v2")
        #expect(service.events.isEmpty)
        #expect(schema.message("gre_tunnel_dump_v2")?.kind == .dump)
        #expect(schema.message("gre_tunnel_details_v2")?.kind == .details)
    }

    @Test func aDumpsDetailsIsAnAnswerEvenWhenAReplyOfItsNameExists() throws {
        // qos_mark_details is qos_mark_dump's details; a qos_mark_details_reply also exists.
        for _ in 0..<5 {
            let schema = try SchemaLoader.load(paths: [SharedData.api2606])
            #expect(schema.message("qos_mark_details")?.kind == .details)
            #expect(schema.message("snort_instance_v2_details")?.kind == .details)
            #expect(schema.service(for: "qos_mark_details") == nil)
        }
    }

    @Test func classifiesFlagSetsByTheVectorsRule() throws {
        let schema = try SchemaLoader.load(paths: SharedData.allAPIFolders)
        let flagSets = schema.enums.values.filter(\.isFlagSet).map(\.name).sorted()
        #expect(flagSets.count == 36)
        for name in ["if_status_flags", "fib_path_flags", "ip_flow_hash_config", "mss_clamp_dir", "tap_flags",
                     "codec_test_u16_flags", "test_enumflags", "cnat_endpoint_tuple_flags"] {
            #expect(flagSets.contains(name), "\(name)")
        }
        #expect(schema.enums["sub_if_flags"]?.isFlagSet == false)
        #expect(schema.enums["trace_filter_flag"]?.isFlagSet == false)
        #expect(schema.enums["address_family"]?.width == .u8)
        #expect(schema.enums["codec_test_i8_enum"]?.width == .i8)
        #expect(schema.enums["codec_test_i8_enum"]?.value(of: "CODEC_TEST_I8_MIN") == -128)
    }

    @Test func normalisesDefaultsAndReadsAliasesAndOptions() throws {
        let schema = try SchemaLoader.load(paths: [SharedData.api2606])
        let route = try #require(schema.message("ip_route_add_del"))
        #expect(route.fields.first { $0.name == "is_add" }?.defaultValue == .bool(true))
        let vpath = try #require(schema.message("sw_interface_set_vpath"))
        #expect(vpath.fields.first { $0.name == "enable" }?.defaultValue == .bool(true))
        #expect(schema.aliases["ip4_address"]?.length == 4)
        #expect(schema.aliases["address_with_prefix"]?.type == .structure("prefix"))
        #expect(schema.resolve(typeName: "vl_api_address_union_t") == .union("address_union"))
        let address = try #require(schema.structs["address"])
        #expect(address.fields[1].discriminator == "af")
        #expect(schema.unions["address_union"]?.fields[0].caseLabel == "ADDRESS_IP4")
        #expect(schema.message("ip_route_add_del_v2")?.isInProgress == true)
        #expect(schema.messages.values.filter(\.isDeprecated).count == 172)
        let cli = try #require(schema.message("cli_inband"))
        #expect(cli.fields.last?.cardinality == .variable(lengthField: nil))
        #expect(cli.fields.last?.type == .string)
    }

    @Test func identicalRepeatsMergeAndConflictsNameBothFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("schema-conflict-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = #"{"types":[["pair",["u8","a"],["u16","b"]]],"messages":[["m1",["u16","_vl_msg_id"],["u32","client_index"],["u32","context"],["vl_api_pair_t","p"],{"crc":"0x00000001"}]],"enums":[],"unions":[],"services":{},"aliases":{}}"#
        let same = #"{"types":[["pair",["u8","a"],["u16","b"]]],"messages":[],"enums":[],"unions":[],"services":{},"aliases":{}}"#
        let clash = #"{"types":[["pair",["u8","a"],["u32","b"]]],"messages":[],"enums":[],"unions":[],"services":{},"aliases":{}}"#
        try a.write(to: dir.appendingPathComponent("a.api.json"), atomically: true, encoding: .utf8)
        try same.write(to: dir.appendingPathComponent("b.api.json"), atomically: true, encoding: .utf8)
        #expect(try SchemaLoader.load(paths: [dir.path]).structs["pair"] != nil)
        try clash.write(to: dir.appendingPathComponent("c.api.json"), atomically: true, encoding: .utf8)
        do {
            _ = try SchemaLoader.load(paths: [dir.path])
            Issue.record("a conflicting typedef must fail")
        } catch let error as SchemaLoadError {
            let text = error.description
            #expect(text.contains("c.api.json") && text.contains("a.api.json") && text.contains("pair"))
        }
    }

    @Test func reportsUnknownTypesMissingFilesAndMalformedJSON() throws {
        var loader = SchemaLoader()
        loader.add(json: Array(#"{"messages":[["m",["u16","_vl_msg_id"],["vl_api_nope_t","x"],{"crc":"0x1"}]]}"#.utf8), source: "mem")
        loader.add(json: Array("{not json".utf8), source: "broken")
        loader.add(path: "/nonexistent/folder")
        let (_, problems) = loader.buildAllowingProblems()
        #expect(problems.contains { $0.source == "mem" && $0.reason.contains("vl_api_nope_t") })
        #expect(problems.contains { $0.source == "broken" && $0.reason.contains("malformed JSON") })
        #expect(problems.contains { $0.source == "/nonexistent/folder" })
        #expect(throws: SchemaLoadError.self) { try loader.build() }
    }
}
