import Testing
import VPPCodec
import VPPJSON
import VPPSchema

/// The encoder reads what people, older tools and VPP's vat2 write (vectors README §3.10),
/// and the decoder handles malformed bytes without ever reading out of bounds.
@Suite struct LeniencyTests {
    func bytes(_ json: String) throws -> [UInt8] {
        let codec = try #require(Fixtures.codec)
        return try codec.encode(json: Array(json.utf8), header: MessageHeader(messageID: 0x119, clientIndex: 0, context: 0x11223344))
    }

    @Test func flagSetsAcceptNamesIntegersMixesRepeatsAndSingleValues() throws {
        let canonical = try bytes(#"{"_msgname":"sw_interface_set_flags","sw_if_index":2,"flags":["IF_STATUS_API_FLAG_ADMIN_UP","IF_STATUS_API_FLAG_LINK_UP"]}"#)
        for form in [#"[2,"IF_STATUS_API_FLAG_ADMIN_UP"]"#, #"["IF_STATUS_API_FLAG_LINK_UP","IF_STATUS_API_FLAG_ADMIN_UP","IF_STATUS_API_FLAG_LINK_UP"]"#, "3", "[3]", "[1,2]"] {
            #expect(try bytes(#"{"_msgname":"sw_interface_set_flags","sw_if_index":2,"flags":\#(form)}"#) == canonical, "\(form)")
        }
        let single = try bytes(#"{"_msgname":"sw_interface_set_flags","sw_if_index":2,"flags":"IF_STATUS_API_FLAG_ADMIN_UP"}"#)
        #expect(single.suffix(4) == [0, 0, 0, 1])
        // A zero-valued member name, as vat2 prints fib_path_flags 0.
        let none = try bytes(#"{"_msgname":"ip_route_add_del","route":{"prefix":"10.0.0.0/8","n_paths":1,"paths":[{"flags":"FIB_API_PATH_FLAG_NONE"}]}}"#)
        let empty = try bytes(#"{"_msgname":"ip_route_add_del","route":{"prefix":"10.0.0.0/8","paths":[{"flags":[]}]}}"#)
        #expect(none == empty)
    }

    @Test func anAbsentTypedefTakesTheDefaultsInsideIt() throws {
        // ipsec_sad_entry's udp_src_port and udp_dst_port default to 4500 (0x1194), and
        // ipsec_itf's user_instance to ~0, whether the typedef is absent or given empty.
        let absent = try bytes(#"{"_msgname":"ipsec_sad_entry_add_del"}"#)
        let empty = try bytes(#"{"_msgname":"ipsec_sad_entry_add_del","entry":{}}"#)
        #expect(absent == empty)
        #expect(Array(absent.suffix(4)) == [0x11, 0x94, 0x11, 0x94])
        let itf = try bytes(#"{"_msgname":"ipsec_itf_create"}"#)
        #expect(itf == (try bytes(#"{"_msgname":"ipsec_itf_create","itf":{}}"#)))
        #expect(Array(itf[10..<14]) == [0xFF, 0xFF, 0xFF, 0xFF], "user_instance, right after the header")
    }

    @Test func plainEnumsAcceptTheirIntegerValue() throws {
        let named = try bytes(#"{"_msgname":"set_ip_flow_hash_v2","af":"ADDRESS_IP6"}"#)
        let number = try bytes(#"{"_msgname":"set_ip_flow_hash_v2","af":1}"#)
        #expect(named == number)
        // Any value that fits the wire type, named or not.
        _ = try bytes(#"{"_msgname":"set_ip_flow_hash_v2","af":200}"#)
        let signed = try bytes(#"{"_msgname":"codec_test_enums","e8":-128}"#)
        let signedNamed = try bytes(#"{"_msgname":"codec_test_enums","e8":"CODEC_TEST_I8_MIN"}"#)
        #expect(signed == signedNamed)
    }

    @Test func f64AcceptsIntegersAndExactExponentFormsAreIntegers() throws {
        #expect(try bytes(#"{"_msgname":"codec_test_scalars","v_f64":1}"#) == bytes(#"{"_msgname":"codec_test_scalars","v_f64":1.0}"#))
        // vat2 prints u64 through a C double: accepted only when it denotes an exact integer.
        let exp = try bytes(#"{"_msgname":"codec_test_scalars","v_u64":9.00719925474099e+15}"#)
        let plain = try bytes(#"{"_msgname":"codec_test_scalars","v_u64":9007199254740990}"#)
        #expect(exp == plain)
    }

    @Test func aFixedByteArrayGivenFewerBytesIsRightPaddedWithZeros() throws {
        // vectors README §3.8 and §5: as vpp_papi packs it.
        let short = try bytes(#"{"_msgname":"bfd_auth_set_key","conf_key_id":1,"key_len":2,"auth_type":4,"key":"0x0102"}"#)
        let full = try bytes(#"{"_msgname":"bfd_auth_set_key","conf_key_id":1,"key_len":2,"auth_type":4,"key":"0x0102\#(String(repeating: "00", count: 18))"}"#)
        #expect(short == full)
        let empty = try bytes(#"{"_msgname":"bfd_auth_set_key","key":"0x"}"#)
        #expect(empty == (try bytes(#"{"_msgname":"bfd_auth_set_key"}"#)))
    }

    @Test func discriminatedUnionsWithEveryArmEncodeTheSelectedArm() throws {
        let canonical = try bytes(#"{"_msgname":"set_punt","is_add":true,"punt":{"type":"PUNT_API_TYPE_EXCEPTION","punt":{"exception":{"id":5}}}}"#)
        let vat2Form = try bytes(#"{"_msgname":"set_punt","is_add":true,"punt":{"type":"PUNT_API_TYPE_EXCEPTION","punt":{"l4":{"af":"ADDRESS_IP6","protocol":"IP_API_PROTO_TCP","port":1},"exception":{"id":5},"ip_proto":{"af":"ADDRESS_IP4","protocol":"IP_API_PROTO_TCP"}}}}"#)
        #expect(canonical == vat2Form)
    }

    @Test func bareUnionsWithEveryArmUseTheWidestArm() throws {
        let codec = try #require(Fixtures.codec)
        let both = #"{"_msgname":"ip_route_add_del","route":{"prefix":"10.0.0.0/8","paths":[{"nh":{"address":{"ip4":"1.2.3.4","ip6":"102:304::"}}}]}}"#
        let decoded = try codec.decode(try bytes(both), as: "ip_route_add_del")
        #expect(decoded.jsonText.contains(#""address":{"ip4":"1.2.3.4","ip6":"102:304::"}"#))
    }

    @Test func headerFieldsMayComeFromTheJSONWhenTheCallerGivesNone() throws {
        let codec = try #require(Fixtures.codec)
        let b = try codec.encode(json: Array(#"{"_msgname":"control_ping","client_index":7,"context":9}"#.utf8), header: MessageHeader(messageID: 23))
        #expect(b == [0, 23, 0, 0, 0, 7, 0, 0, 0, 9])
    }
}

@Suite struct DecodeTests {
    func vectorBytes(_ message: String, _ predicate: (Vector) -> Bool = { _ in true }) throws -> [UInt8] {
        try #require(try Vector.loadPublic().first { $0.message == message && predicate($0) }).bytes
    }

    @Test func trailingBytesAreAcceptedAndReported() throws {
        let codec = try #require(Fixtures.codec)
        let b = try vectorBytes("sw_interface_set_flags")
        let normal = try codec.decode(b, as: "sw_interface_set_flags")
        let longer = try codec.decode(b + [1, 2, 3], as: "sw_interface_set_flags")
        #expect(longer.trailingBytes == 3)
        #expect(longer.json == normal.json)
    }

    @Test func truncatedMessagesAreErrorsAtEveryLength() throws {
        let codec = try #require(Fixtures.codec)
        for v in try Vector.loadPublic() {
            for cut in stride(from: 0, to: v.bytes.count, by: max(1, v.bytes.count / 16)) {
                let prefix = Array(v.bytes.prefix(cut))
                do {
                    _ = try codec.decode(prefix, as: v.message)
                    Issue.record("\(v) decoded from \(cut) of \(v.bytes.count) bytes")
                } catch {
                    #expect(error.kind == .truncated || error.kind == .badLength, "\(v) cut at \(cut): \(error)")
                }
            }
        }
    }

    @Test func lengthFieldsPointingPastTheEndAreErrors() throws {
        let codec = try #require(Fixtures.codec)
        var macs = try vectorBytes("l2_macs_event")
        macs[13] = 200 // n_macs (after msgid 2, client_index 4, pid 4, u32 n_macs high bytes)
        let e = #expect(throws: CodecError.self) { try codec.decode(macs, as: "l2_macs_event") }
        #expect(e?.kind == .badLength)
        #expect(e?.path == "/mac")
        var cli = try vectorBytes("cli_inband") { $0.json["cmd"]?.stringValue == "show version" }
        cli[12] = 0x10 // string length 0x100c, far past the end
        let s = #expect(throws: CodecError.self) { try codec.decode(cli, as: "cli_inband") }
        #expect(s?.kind == .badLength)
        #expect(s?.path == "/cmd")
    }

    @Test func flagSetsKeepLeftoverBitsAsAFinalInteger() throws {
        let codec = try #require(Fixtures.codec)
        let b: [UInt8] = [1, 0x19, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 1, 0x80, 0, 0, 0x41]
        let d = try codec.decode(b, as: "sw_interface_set_flags")
        #expect(d.jsonText.hasSuffix(#""flags":["IF_STATUS_API_FLAG_ADMIN_UP",2147483712]}"#))
        let back = try codec.encode(try JSONParser.parse(d.json), header: d.header)
        #expect(back == b)
    }

    @Test func aDiscriminatorNamingNoArmRendersEveryArm() throws {
        let codec = try #require(Fixtures.codec)
        var b = try vectorBytes("set_punt") { $0.json.jsonText.contains("EXCEPTION") }
        b[14] = 9 // punt.type: no such member
        let d = try codec.decode(b, as: "set_punt")
        #expect(d.jsonText.contains(#""type":9"#))
        #expect(d.jsonText.contains(#""exception":"#) && d.jsonText.contains(#""l4":"#) && d.jsonText.contains(#""ip_proto":"#))
    }

    @Test func invalidUTF8InStringsBecomesReplacementCharacters() throws {
        let codec = try #require(Fixtures.codec)
        let b: [UInt8] = [1, 8, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 3, 0x61, 0xFF, 0x22]
        let d = try codec.decode(b, as: "cli_inband")
        #expect(d.jsonText.hasSuffix(#""cmd":"a\#u{FFFD}\""}"#))
        #expect((try? JSONParser.parse(d.json)) != nil)
    }
}
