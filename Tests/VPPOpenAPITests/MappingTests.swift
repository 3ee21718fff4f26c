import Testing
import VPPJSON
import VPPOpenAPI
import VPPSchema
import VPPTestSupport

/// How VPP types map to JSON Schema (the canonical JSON of the vectors README §3).
@Suite struct MappingTests {
    @Test func everyTypeThatMessagesUseHasAComponent() throws {
        let schema = try Fixtures.schema2606()
        let doc = Doc(try Fixtures.document2606())
        var seen = Set<String>()
        var pending: [TypeRef] = schema.messages.values.flatMap { $0.fields.map(\.type) }
        while let t = pending.popLast() {
            let name: String
            switch t {
            case .scalar, .string: continue
            case .enumeration(let n), .structure(let n), .union(let n), .alias(let n): name = n
            }
            guard seen.insert(name).inserted else { continue }
            #expect(doc.component(name) != nil, "no component for \(name)")
            pending += schema.structs[name]?.fields.map(\.type) ?? []
            pending += schema.unions[name]?.fields.map(\.type) ?? []
            if let a = schema.aliases[name] { pending.append(a.type) }
        }
        #expect(seen.count > 300)
        for (name, e) in schema.enums where seen.contains(name) {
            #expect(doc.component(name)?["type"]?.stringValue == (e.isFlagSet ? "array" : "string"), "\(name)")
        }
        // Every message has its component too.
        for name in schema.messageNames {
            #expect(doc.component(name)?["x-vpp-crc"]?.stringValue == schema.message(name)?.crc, "\(name)")
        }
    }

    @Test func integersCarryTheirRangeAnd64BitFormats() throws {
        let doc = Doc(try Fixtures.document2606())
        let u64 = try #require(doc.property("ipsec_sa_details", "seq_outbound"))
        #expect(u64["type"]?.stringValue == "integer")
        #expect(u64["format"]?.stringValue == "uint64")
        #expect(u64["minimum"]?.numberValue?.text == "0")
        let u32 = try #require(doc.resolve(doc.property("sw_interface_details", "sw_if_index")))
        #expect(u32["type"]?.stringValue == "integer")
        #expect(u32["maximum"]?.numberValue?.text == "4294967295")
        let i32 = try #require(doc.property("sw_interface_set_flags_reply", "retval"))
        #expect(i32["minimum"]?.numberValue?.text == "-2147483648")
        #expect(i32["maximum"]?.numberValue?.text == "2147483647")
        let u8 = try #require(doc.property("sw_interface_details", "link_duplex"))
        #expect(u8["anyOf"] != nil) // a plain enum: name or integer
    }

    @Test func f64IsANumberAndKeepsItsDefault() throws {
        let doc = Doc(try Fixtures.document2606())
        let f64 = try #require(doc.property("get_f64_increment_by_one_reply", "f64_value"))
        #expect(f64["type"]?.stringValue == "number")
        #expect(f64["format"]?.stringValue == "double")
        let withDefault = try #require(doc.property("get_f64_endian_value", "f64_one"))
        #expect(withDefault["default"]?.numberValue?.doubleValue == 1.0)
        let timestamp = try #require(doc.component("timestamp"))
        #expect(timestamp["type"]?.stringValue == "number")
    }

    @Test func aFlagSetIsAnArrayOfItsNamesWithATrailingInteger() throws {
        let doc = Doc(try Fixtures.document2606())
        #expect(Doc.refName(doc.property("sw_interface_set_flags", "flags")) == "if_status_flags")
        let flags = try #require(doc.component("if_status_flags"))
        #expect(flags["type"]?.stringValue == "array")
        let arms = try #require(flags["items"]?["anyOf"]?.arrayValue)
        #expect(arms.count == 2)
        #expect(Doc.refName(arms[0]) == "if_status_flags_flag")
        #expect(arms[1]["type"]?.stringValue == "integer")
        #expect(arms[1]["maximum"]?.numberValue?.text == "4294967295")
        #expect(doc.component("if_status_flags_flag")?["enum"]?.stringArray
            == ["IF_STATUS_API_FLAG_ADMIN_UP", "IF_STATUS_API_FLAG_LINK_UP"])
        // Declared in "enumflags", u8 on the wire, with a zero-valued member accepted on input.
        let clamp = try #require(doc.component("mss_clamp_dir"))
        #expect(clamp["items"]?["anyOf"]?.arrayValue?[1]["maximum"]?.numberValue?.text == "255")
        #expect(doc.component("mss_clamp_dir_flag")?["enum"]?.stringArray?.first == "MSS_CLAMP_DIR_NONE")
        // A plain enum whose name says "flag" but whose members are not single bits stays an enum.
        #expect(doc.component("sub_if_flags")?["type"]?.stringValue == "string")
    }

    @Test func aFlagSetDefaultIsWrittenAsItsArrayAndAnEnumDefaultAsItsName() throws {
        let doc = Doc(try Fixtures.document2606())
        let xdp = try #require(doc.property("af_xdp_create_v3", "flags"))
        #expect(xdp["default"] == .array([]))
        let mode = try #require(doc.property("af_xdp_create_v3", "mode"))
        #expect(mode["default"]?.stringValue == "AF_XDP_API_MODE_AUTO")
        let proto = try #require(doc.property("ip_session_redirect_add_v2", "proto"))
        #expect(proto["default"]?.numberValue?.text == "4294967295") // no member has that value
    }

    @Test func aPlainEnumIsItsNamesOrAnInteger() throws {
        let doc = Doc(try Fixtures.document2606())
        let type = try #require(doc.property("sw_interface_details", "type"))
        let arms = try #require(type["anyOf"]?.arrayValue)
        #expect(Doc.refName(arms[0]) == "if_type")
        #expect(arms[1]["type"]?.stringValue == "integer")
        let ifType = try #require(doc.component("if_type"))
        #expect(ifType["enum"]?.stringArray?.first == "IF_API_TYPE_HARDWARE")
        #expect(ifType["x-vpp-values"]?["IF_API_TYPE_SUB"]?.numberValue?.text == "1")
    }

    @Test func aDiscriminatedUnionHoldsOneArmNamedByItsDiscriminator() throws {
        let doc = Doc(try Fixtures.document2606())
        let field = try #require(doc.property("punt", "punt"))
        #expect(Doc.refName(field) == "punt_union")
        #expect(field["x-vpp-discriminator"]?.stringValue == "type")
        let union = try #require(doc.component("punt_union"))
        #expect(union["type"]?.stringValue == "object")
        #expect(union["minProperties"]?.numberValue?.text == "1")
        #expect(union["additionalProperties"] == .bool(false))
        #expect(union["properties"]?.objectValue?.keys == ["exception", "l4", "ip_proto"])
        #expect(union["properties"]?["l4"]?["x-vpp-case"]?.stringValue == "PUNT_API_TYPE_L4")
        #expect(union["required"] == nil)
    }

    @Test func addressesAndPrefixesAreText() throws {
        let doc = Doc(try Fixtures.document2606())
        #expect(Doc.refName(doc.property("sw_interface_add_del_address", "prefix")) == "address_with_prefix")
        for name in ["prefix", "address_with_prefix", "ip4_prefix", "ip6_prefix", "ip4_address_with_prefix", "ip6_address_with_prefix"] {
            let s = try #require(doc.component(name), "\(name)")
            #expect(s["type"]?.stringValue == "string", "\(name)")
            #expect(s["pattern"]?.stringValue?.hasSuffix("$") == true, "\(name)")
            #expect(s["examples"]?.arrayValue?.isEmpty == false, "\(name)")
        }
        #expect(doc.component("ip4_address")?["format"]?.stringValue == "ipv4")
        #expect(doc.component("ip6_address")?["format"]?.stringValue == "ipv6")
        #expect(doc.component("address")?["anyOf"]?.arrayValue?.count == 2)
        #expect(doc.component("mac_address")?["pattern"] != nil)
        // The bare address_union (no discriminator) is an object of both arms.
        #expect(doc.component("address_union")?["properties"]?.objectValue?.keys == ["ip4", "ip6"])
    }

    @Test func stringsAndByteArraysHaveTheirLimitsAndHexPatterns() throws {
        let doc = Doc(try Fixtures.document2606())
        let name = try #require(doc.property("sw_interface_details", "interface_name"))
        #expect(name["type"]?.stringValue == "string")
        #expect(name["maxLength"]?.numberValue?.text == "63") // string[64]
        #expect(name["description"]?.stringValue?.contains("bytes") == true)
        let cmd = try #require(doc.property("cli_inband", "cmd"))
        #expect(cmd["type"]?.stringValue == "string")
        #expect(cmd["maxLength"] == nil)
        let bytes = try #require(doc.property("dns_resolve_name_reply", "ip4_address"))
        #expect(bytes["pattern"]?.stringValue == "^0x([0-9a-fA-F]{2}){0,4}$")
    }

    @Test func arraysHaveTheirCountsAndLengthFieldsAreOptionalOnInput() throws {
        let doc = Doc(try Fixtures.document2606())
        let mtu = try #require(doc.property("sw_interface_details", "mtu"))
        #expect(mtu["type"]?.stringValue == "array")
        #expect(mtu["minItems"]?.numberValue?.text == "4")
        #expect(mtu["maxItems"]?.numberValue?.text == "4")
        let paths = try #require(doc.component("ip_route_input")?["properties"]?["paths"])
        #expect(paths["type"]?.stringValue == "array")
        #expect(paths["maxItems"]?.numberValue?.text == "255") // counted by u8 n_paths
        #expect(Doc.refName(paths["items"]) == "fib_path_input")
        let count = try #require(doc.component("ip_route_input")?["properties"]?["n_paths"])
        #expect(count["description"]?.stringValue?.contains("derived") == true)
    }

    @Test func requestBodiesAreOptionalWithDefaultsAndAnswersAreComplete() throws {
        let doc = Doc(try Fixtures.document2606())
        let dump = try #require(doc.component("sw_interface_dump"))
        #expect(dump["required"] == nil)
        #expect(dump["additionalProperties"] == .bool(false))
        #expect(dump["properties"]?.objectValue?.keys == ["_msgname", "_crc", "sw_if_index", "name_filter_valid", "name_filter"])
        #expect(dump["properties"]?["sw_if_index"]?["default"]?.numberValue?.text == "4294967295")
        let details = try #require(doc.component("sw_interface_details"))
        let keys = try #require(details["properties"]?.objectValue?.keys)
        #expect(details["required"]?.stringArray == keys)
        #expect(keys.first == "_msgname")
        #expect(!keys.contains("context"))
        #expect(details["properties"]?["_msgname"]?["const"]?.stringValue == "sw_interface_details")
        #expect(details["properties"]?["_crc"]?["const"]?.stringValue == (try Fixtures.schema2606()).message("sw_interface_details")?.crc)
        // Typedefs: every member present in answers, all optional in requests.
        #expect(Doc.refName(doc.property("ip_route_add_del", "route")) == "ip_route_input")
        #expect(Doc.refName(doc.property("ip_route_details", "route")) == "ip_route")
        #expect(doc.component("ip_route")?["required"]?.stringArray?.contains("paths") == true)
        #expect(doc.component("ip_route_input")?["required"] == nil)
        // A field named context inside a typedef is kept.
        #expect(doc.component("bridge_domain_sw_if")?["properties"]?["context"] != nil)
    }

    @Test func deprecatedAndInProgressMessagesAreMarked() throws {
        let schema = try Fixtures.schema2606()
        let doc = Doc(try Fixtures.document2606())
        #expect(schema.message("bond_create")?.isDeprecated == true)
        #expect(doc.operation("/v1/bond_create", "post")?["deprecated"] == .bool(true))
        #expect(doc.component("bond_create")?["deprecated"] == .bool(true))
        #expect(doc.operation("/v1/show_version", "post")?["deprecated"] == nil)
        var marked = 0
        for op in doc.operations {
            guard let name = op.operation["x-vpp-message"]?.stringValue, let m = schema.message(name) else { continue }
            let registration = op.operation["x-vpp-registration"]?.stringValue.flatMap { schema.message($0) }
            #expect((op.operation["deprecated"] == .bool(true)) == (m.isDeprecated || registration?.isDeprecated == true), "\(name)")
            #expect((op.operation["x-vpp-in-progress"] == .bool(true)) == m.isInProgress, "\(name)")
            if m.isInProgress { marked += 1 }
        }
        #expect(marked > 10)
    }
}
