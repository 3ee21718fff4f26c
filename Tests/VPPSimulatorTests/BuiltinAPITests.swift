import Foundation
import Testing
import VPPJSON
import VPPSchema
import VPPTestSupport
@testable import VPPSimulator

@Suite("Built-in definitions", .serialized)
struct BuiltinAPITests {
    static let reference: Schema? = try? SchemaLoader.load(paths: [SharedData.api2606])

    @Test func everyBuiltInMessageEqualsVPP2606() throws {
        let builtin = try APIModel(builtin: ()).schema
        let reference = try #require(Self.reference)
        #expect(builtin.messages.count >= 64)
        for m in builtin.messages.values {
            let r = try #require(reference.messages[m.name], "\(m.name) is not in 26.06")
            #expect(m.crc == r.crc, "\(m.name) crc")
            #expect(m.fields == r.fields, "\(m.name) fields")
            #expect(m.kind == r.kind, "\(m.name) kind")
            #expect(m.module == r.module, "\(m.name) module")
            #expect(m.isDeprecated == r.isDeprecated, "\(m.name) deprecated")
        }
        for (name, s) in builtin.structs { #expect(reference.structs[name] == s, "typedef \(name)") }
        for (name, u) in builtin.unions { #expect(reference.unions[name] == u, "union \(name)") }
        for (name, e) in builtin.enums { #expect(reference.enums[name] == e, "enum \(name)") }
        for (name, a) in builtin.aliases { #expect(reference.aliases[name] == a, "alias \(name)") }
        for (request, s) in builtin.services { #expect(reference.services[request] == s, "service \(request)") }
        for m in builtin.modules {
            let r = try #require(reference.modules.first { $0.name == m.name })
            #expect(m.crc == r.crc, "module \(m.name) crc")
            #expect(m.version == r.version, "module \(m.name) version")
            #expect(m.messages == r.messages.filter { builtin.messages[$0] != nil }, "module \(m.name) message order")
        }
    }

    @Test func builtInCoversTheRequiredMessages() throws {
        let builtin = try APIModel(builtin: ()).schema
        #expect(builtin.modules.first { $0.name == "memclnt" }?.messages == MessageTable.memclntOrder)
        for name in ["show_version", "cli_inband", "control_ping", "get_api_json", "show_threads", "create_loopback",
                     "create_loopback_instance", "delete_loopback", "sw_interface_dump", "sw_interface_details",
                     "sw_interface_set_flags", "sw_interface_add_del_address", "sw_interface_tag_add_del",
                     "sw_interface_tx_placement_get", "sw_interface_tx_placement_details",
                     "sw_interface_tx_placement_get_reply", "want_interface_events", "want_interface_events_reply",
                     "sw_interface_event", "ip_address_dump", "ip_address_details"] {
            #expect(builtin.messages[name] != nil, "\(name)")
        }
    }

    @Test func simulatorRunsOnBuiltInDefinitions() async throws {
        try await Fixture.with(folders: nil, interfaces: 1) { sim in
            let c = try Fixture.client(sim)
            #expect(c.ids["control_ping"] == 23)
            #expect(c.ids.count == sim.schema.messages.count)
            #expect(try c.call("show_version")["program"]?.stringValue == "vpe")
            #expect(try c.dump("sw_interface_dump").count == 2)
            let text = try #require(try c.call("get_api_json")["json"]?.stringValue)
            guard case .array(let docs) = try JSONParser.parse(text) else { Issue.record("not an array"); return }
            // memclnt is registered statically, so VPP leaves its document out.
            #expect(docs.compactMap { $0["module"]?.stringValue } == ["vlib", "vpe", "interface", "ip"])
        }
    }
}
