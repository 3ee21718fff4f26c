import Testing
import VPPTestSupport

/// The offline tools, run as an operator would run them.
@Suite struct CodecCommandTests {
    let api = ["--api-dir", SharedData.api2606]

    @Test func decodePrintsOneCanonicalObjectPerInputAndFailsOnlyTheBadLines() throws {
        let r = try GatewayExecutable.run(["decode"] + api + ["--message", "control_ping_reply",
                                                              "010111223344000000000000000000003039", "zz", "0101"])
        #expect(r.status == 1)
        #expect(r.stdout == "{\"_msgname\":\"control_ping_reply\",\"_crc\":\"f6b0b8ca\",\"retval\":0,\"vpe_pid\":12345}\n")
        #expect(r.stderr.contains("input 2: not hex"))
        #expect(r.stderr.contains("input 3: /context: message truncated"))
        // An unknown message is one error up front, not one per line.
        let unknown = try GatewayExecutable.run(["decode"] + api + ["--message", "nope", "00", "01"])
        #expect(unknown.status == 2 && unknown.stdout.isEmpty)
        #expect(unknown.stderr.split(separator: "\n").count == 1 && unknown.stderr.contains("no message nope"))
        let unreadable = try GatewayExecutable.run(["decode"] + api + ["--message", "control_ping", "--binary", "/nonexistent/msg.bin"])
        #expect(unreadable.status == 2 && unreadable.stderr.contains("cannot read /nonexistent/msg.bin: "))
    }

    @Test func decodeReadsStandardInputLines() throws {
        let r = try GatewayExecutable.run(["decode"] + api + ["--message", "sw_interface_set_flags"],
                                          input: "0119000000001122334400000001 00000003\n\n0x011900000000112233440000000200000000\n")
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.first?.hasSuffix(#""sw_if_index":1,"flags":["IF_STATUS_API_FLAG_ADMIN_UP","IF_STATUS_API_FLAG_LINK_UP"]}"#) == true)
        #expect(lines.last?.hasSuffix(#""sw_if_index":2,"flags":[]}"#) == true)
    }

    @Test func encodePrintsHexAndNamesTheBadField() throws {
        let r = try GatewayExecutable.run(["encode"] + api + ["--msg-id", "281", "--context", "7",
            #"{"_msgname":"sw_interface_set_flags","sw_if_index":1,"flags":["IF_STATUS_API_FLAG_ADMIN_UP"]}"#,
            #"{"_msgname":"sw_interface_set_flags","flags":["NOPE"]}"#])
        #expect(r.status == 1)
        #expect(r.stdout == "011900000000000000070000000100000001\n")
        #expect(r.stderr.contains("input 2: /flags/0: unknown member \"NOPE\""))
    }

    @Test func encodeAndDecodeRoundTripThroughAPipe() throws {
        let encoded = try GatewayExecutable.run(["encode"] + api + ["--msg-id", "8"],
                                                input: #"{"_msgname":"cli_inband","cmd":"show interface"}"# + "\n")
        #expect(encoded.status == 0)
        let decoded = try GatewayExecutable.run(["decode"] + api + ["--message", "cli_inband"], input: encoded.stdout)
        #expect(decoded.stdout == #"{"_msgname":"cli_inband","_crc":"f8377302","cmd":"show interface"}"# + "\n")
    }

    @Test func schemaListsMessagesAndShowsOne() throws {
        let list = try GatewayExecutable.run(["schema"] + api)
        #expect(list.status == 0)
        #expect(list.stdout.split(separator: "\n").count == 2093)
        #expect(list.stdout.contains("sw_interface_dump"))
        let one = try GatewayExecutable.run(["schema"] + api + ["sw_interface_tx_placement_get"])
        #expect(one.stdout.contains("kind get-stream"))
        #expect(one.stdout.contains("service: get-stream → sw_interface_tx_placement_get_reply, stream sw_interface_tx_placement_details"))
        let missing = try GatewayExecutable.run(["schema", "--api-dir", "/nonexistent"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("/nonexistent: no such file or folder"))
    }

    @Test func openapiDescribesWhatTheMessagePolicyServes() throws {
        /// The document's path keys (compact JSON: `"/v1/x":{`).
        func document(_ extra: [String]) throws -> String {
            let r = try GatewayExecutable.run(["openapi", "--builtin"] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout
        }
        func has(_ doc: String, _ path: String) -> Bool { doc.contains("\"\(path)\":{") }
        let standard = try document([])
        #expect(has(standard, "/v1/show_version") && has(standard, "/v1/sw_interface_set_flags"))
        #expect(!has(standard, "/v1/cli_inband"), "denied unless allowed, as in serve")
        #expect(has(try document(["--allow", "*", "--allow", "cli_inband"]), "/v1/cli_inband"))
        let reads = try document(["--read-only"])
        #expect(!has(reads, "/v1/sw_interface_set_flags") && has(reads, "/v1/sw_interface_dump"))
        #expect(!has(try document(["--deny", "sw_interface_*"]), "/v1/sw_interface_dump"))
    }
}
