import VPPSchema
import VPPTestSupport
import Testing

/// Which types have a text form in canonical JSON: by name and layout, for the codec and
/// the OpenAPI document alike.
@Suite("Text forms")
struct TextFormTests {
    @Test func theStandardAddressTypesOfVPP2606HaveTextForms() throws {
        let schema = try SchemaLoader.load(paths: [SharedData.api2606])
        #expect(schema.textForm(ofAlias: "ip4_address") == .ip4Address)
        #expect(schema.textForm(ofAlias: "ip6_address") == .ip6Address)
        #expect(schema.textForm(ofAlias: "mac_address") == .macAddress)
        #expect(schema.textForm(ofStructure: "address") == .address)
        #expect(schema.textForm(ofStructure: "prefix") == .prefix)
        #expect(schema.textForm(ofStructure: "ip4_prefix") == .ip4Prefix)
        #expect(schema.textForm(ofStructure: "ip6_prefix") == .ip6Prefix)
        #expect(schema.textForm(ofAlias: "interface_index") == nil)
        #expect(schema.textForm(ofStructure: "fib_path") == nil)
    }

    @Test func aCustomAPIReusingANameWithAnotherLayoutGetsNoTextForm() throws {
        // A plugin whose ip4_address is 8 bytes, whose address is not the union form, and
        // whose prefix wraps that address: all rendered structurally.
        let api = """
            {"types": [["address", ["u32", "af"], ["u8", "raw", 16]],
                       ["prefix", ["vl_api_address_t", "address"], ["u8", "len"]],
                       ["ip4_prefix", ["vl_api_ip4_address_t", "address"], ["u8", "len"]]],
             "messages": [], "unions": [], "enums": [], "services": {}, "options": {},
             "aliases": {"ip4_address": {"type": "u8", "length": 8}, "mac_address": {"type": "u16", "length": 6}},
             "vl_api_version": "0x1"}
            """
        var loader = SchemaLoader()
        loader.add(json: Array(api.utf8), source: "custom.api.json")
        let schema = try loader.build()
        // The types are there; they just are not the standard layouts.
        #expect(schema.structs["address"]?.fields.count == 2 && schema.structs["prefix"]?.fields.count == 2)
        #expect(schema.aliases["ip4_address"]?.length == 8 && schema.aliases["mac_address"]?.length == 6)
        #expect(schema.textForm(ofAlias: "ip4_address") == nil)
        #expect(schema.textForm(ofAlias: "mac_address") == nil)
        #expect(schema.textForm(ofStructure: "address") == nil)
        #expect(schema.textForm(ofStructure: "prefix") == nil)
        #expect(schema.textForm(ofStructure: "ip4_prefix") == nil)
    }
}
