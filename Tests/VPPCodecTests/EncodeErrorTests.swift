import Testing
import VPPCodec
import VPPJSON
import VPPSchema

/// Every bad input gets a precise error naming the field, and nothing is emitted.
@Suite struct EncodeErrorTests {
    func encodeError(_ json: String, as name: String? = nil) throws -> CodecError {
        let codec = try #require(Fixtures.codec)
        do {
            let bytes = try codec.encode(json: Array(json.utf8), as: name)
            Issue.record("expected an error, got \(bytes.count) bytes")
            return CodecError(.invalidValue, path: "", reason: "no error")
        } catch {
            return error
        }
    }

    @Test func malformedJSONIsRejectedWithItsOffset() throws {
        let e = try encodeError(#"{"_msgname":"control_ping","#)
        #expect(e.kind == .malformedJSON)
        #expect(e.reason.contains("byte"))
    }

    @Test func wrongJSONTypeNamesTheField() throws {
        let e = try encodeError(#"{"_msgname":"sw_interface_set_flags","sw_if_index":"one"}"#)
        #expect(e.kind == .wrongType)
        #expect(e.path == "/sw_if_index")
        #expect(e.reason.contains("got a string"))
        let b = try encodeError(#"{"_msgname":"sw_interface_add_del_address","is_add":1}"#)
        #expect(b.kind == .wrongType && b.path == "/is_add")
        let top = try encodeError(#"[1,2]"#, as: "control_ping")
        #expect(top.kind == .wrongType && top.path == "")
    }

    @Test func integersOutOfRangeForTheirWidthAreRejected() throws {
        let cases: [(String, String)] = [
            (#"{"_msgname":"sw_interface_set_flags","sw_if_index":4294967296}"#, "/sw_if_index"),
            (#"{"_msgname":"sw_interface_set_flags","sw_if_index":-1}"#, "/sw_if_index"),
            (#"{"_msgname":"codec_test_scalars","v_i8":128}"#, "/v_i8"),
            (#"{"_msgname":"codec_test_scalars","v_i8":-129}"#, "/v_i8"),
            (#"{"_msgname":"codec_test_scalars","v_u64":18446744073709551616}"#, "/v_u64"),
            (#"{"_msgname":"codec_test_scalars","v_i64":9223372036854775808}"#, "/v_i64"),
            (#"{"_msgname":"codec_test_scalars","v_u16":1.5}"#, "/v_u16"),
            (#"{"_msgname":"codec_test_scalars","v_u32":9.00719925474099e+30}"#, "/v_u32"),
            (#"{"_msgname":"codec_test_scalars","v_f64":1e400}"#, "/v_f64"),
        ]
        for (json, path) in cases {
            let e = try encodeError(json)
            #expect(e.kind == .outOfRange, "\(json)")
            #expect(e.path == path, "\(json)")
        }
    }

    @Test func unknownEnumAndFlagNamesAreRejected() throws {
        let e = try encodeError(#"{"_msgname":"set_ip_flow_hash_v2","af":"ADDRESS_IP7"}"#)
        #expect(e.kind == .unknownEnumName && e.path == "/af")
        #expect(e.reason.contains("ADDRESS_IP4"))
        let f = try encodeError(#"{"_msgname":"sw_interface_set_flags","flags":["IF_STATUS_API_FLAG_ADMIN_UP","BOGUS"]}"#)
        #expect(f.kind == .unknownEnumName && f.path == "/flags/1")
        // VPP's C tojson prints "Invalid ENUM" for unnamed values: it carries no value.
        let invalid = try encodeError(#"{"_msgname":"sw_interface_set_flags","flags":"Invalid ENUM"}"#)
        #expect(invalid.kind == .unknownEnumName)
        let arrayForPlain = try encodeError(#"{"_msgname":"set_ip_flow_hash_v2","af":["ADDRESS_IP4"]}"#)
        #expect(arrayForPlain.kind == .wrongType && arrayForPlain.path == "/af")
        let tooWide = try encodeError(#"{"_msgname":"mss_clamp_enable_disable","ipv4_direction":256}"#)
        #expect(tooWide.kind == .outOfRange && tooWide.path == "/ipv4_direction")
    }

    @Test func stringsLongerThanAFixedStringAllowsAreRejected() throws {
        let exactlyFits = String(repeating: "x", count: 63)
        let codec = try #require(Fixtures.codec)
        _ = try codec.encode(json: Array(#"{"_msgname":"sw_interface_tag_add_del","tag":"\#(exactlyFits)"}"#.utf8))
        let e = try encodeError(#"{"_msgname":"sw_interface_tag_add_del","tag":"\#(exactlyFits)y"}"#)
        #expect(e.kind == .stringTooLong && e.path == "/tag")
        #expect(e.reason.contains("63"))
        let nul = try encodeError(#"{"_msgname":"sw_interface_tag_add_del","tag":"a\u0000b"}"#)
        #expect(nul.kind == .invalidValue && nul.path == "/tag")
    }

    @Test func aFieldGivenTwiceIsRejectedAtAnyDepth() throws {
        let top = try encodeError(#"{"_msgname":"sw_interface_set_flags","sw_if_index":1,"sw_if_index":99}"#)
        #expect(top.kind == .duplicateField && top.path == "/sw_if_index")
        let nested = try encodeError(#"{"_msgname":"ip_route_add_del","route":{"table_id":1,"prefix":"10.0.0.0/8","table_id":2}}"#)
        #expect(nested.kind == .duplicateField && nested.path == "/route/table_id")
    }

    @Test func badHexAndWrongByteCountsAreRejected() throws {
        let key = "000102030405060708090a0b0c0d0e0f10111213"
        let cases: [(String, CodecError.Kind)] = [
            ("0x" + key + "14", .wrongLength),
            (String(key), .badHex),
            ("0x" + key.dropLast(1), .badHex),
            ("0x" + key.dropLast(2) + "zz", .badHex),
        ]
        for (hex, kind) in cases {
            let e = try encodeError(#"{"_msgname":"bfd_auth_set_key","key":"\#(hex)"}"#)
            #expect(e.kind == kind, "\(hex)")
            #expect(e.path == "/key", "\(hex)")
        }
    }

    @Test func fixedArraysOfTheWrongLengthAreRejected() throws {
        let e = try encodeError(#"{"_msgname":"codec_test_arrays","a_i8":[1,2]}"#)
        #expect(e.kind == .wrongLength && e.path == "/a_i8")
        let nested = try encodeError(#"{"_msgname":"codec_test_arrays","pairs":[{"a":1,"b":2},{"a":"x"}]}"#)
        #expect(nested.kind == .wrongType && nested.path == "/pairs/1/a")
    }

    @Test func unknownFieldsAreRejectedAtEveryLevel() throws {
        let e = try encodeError(#"{"_msgname":"sw_interface_set_flags","sw_if_idx":1}"#)
        #expect(e.kind == .unknownField && e.path == "/sw_if_idx")
        #expect(e.reason.contains("sw_if_index"))
        let nested = try encodeError(#"{"_msgname":"ip_route_add_del","route":{"prefix":"10.0.0.0/8","bogus":1}}"#)
        #expect(nested.kind == .unknownField && nested.path == "/route/bogus")
        let unionArm = try encodeError(#"{"_msgname":"set_punt","punt":{"type":"PUNT_API_TYPE_L4","punt":{"l5":{}}}}"#)
        #expect(unionArm.kind == .unknownField && unionArm.path == "/punt/punt/l5")
        let noArm = try encodeError(#"{"_msgname":"set_punt","punt":{"type":"PUNT_API_TYPE_L4","punt":{}}}"#)
        #expect(noArm.kind == .invalidValue && noArm.path == "/punt/punt")
    }

    @Test func unknownMessageNamesAndMismatchedCRCsAreRejected() throws {
        let e = try encodeError(#"{"_msgname":"no_such_message"}"#)
        #expect(e.kind == .unknownMessage && e.path == "/_msgname")
        let missing = try encodeError(#"{"sw_if_index":1}"#)
        #expect(missing.kind == .unknownMessage)
        let crc = try encodeError(#"{"_msgname":"control_ping","_crc":"deadbeef"}"#)
        #expect(crc.kind == .crcMismatch && crc.path == "/_crc")
        #expect(crc.reason.contains("51077d14"))
    }

    @Test func addressesAndPrefixesMustParse() throws {
        let badAddress = try encodeError(#"{"_msgname":"sw_interface_add_del_address","prefix":"10.0.0.256/24"}"#)
        #expect(badAddress.kind == .invalidValue && badAddress.path == "/prefix")
        let badLength = try encodeError(#"{"_msgname":"sw_interface_add_del_address","prefix":"10.0.0.1/33"}"#)
        #expect(badLength.kind == .outOfRange && badLength.path == "/prefix")
        let badMAC = try encodeError(#"{"_msgname":"create_loopback","mac_address":"02:fe:00:00:00"}"#)
        #expect(badMAC.kind == .invalidValue && badMAC.path == "/mac_address")
        let lengthMismatch = try encodeError(#"{"_msgname":"test_vla","count":2,"vla":[1]}"#)
        #expect(lengthMismatch.kind == .wrongLength && lengthMismatch.path == "/count")
    }
}
