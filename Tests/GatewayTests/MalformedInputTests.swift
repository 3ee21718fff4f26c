import Foundation
import Gateway
import Testing
import VPPJSON
import VPPTestSupport

/// Robustness: malformed HTTP, bad JSON and wrong types for a sample of messages of every kind.
/// Each is answered with the right 4xx, the server keeps serving, and nothing reaches VPP (the
/// simulator's received counters do not move).
@Suite(.serialized) struct MalformedInputTests {
    /// Serves everything, `cli_inband` included, so that the policy is not what refuses it.
    static func openPolicy(_ c: inout GatewayConfiguration) {
        c.access.policy = MessagePolicy(allow: ["*", "cli_inband"])
        c.http.maxBodySize = 64 * 1024
    }

    /// The messages the cases target (what must stay unsent).
    static let watched = ["sw_interface_set_flags", "sw_interface_add_del_address", "create_loopback_instance",
                          "cli_inband", "sw_interface_dump", "ip_address_dump", "sw_interface_tx_placement_get",
                          "sw_interface_tag_add_del", "get_first_msg_id", "want_interface_events", "show_version"]

    static func counts(_ h: GatewayHarness) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: watched.map { ($0, h.simulator.receivedCount($0)) })
    }

    // MARK: - Malformed HTTP

    /// What the server did with raw bytes.
    enum Outcome: Equatable, CustomStringConvertible {
        /// A response with this status.
        case status(Int)
        /// The connection was closed without a response.
        case closedWithoutAnswer
        /// Nothing came back within the read timeout, and the connection stayed open.
        case noAnswer

        var description: String {
            switch self {
            case .status(let s): "\(s)"
            case .closedWithoutAnswer: "closed without an answer"
            case .noAnswer: "no answer"
            }
        }
    }

    struct RawResult {
        var outcome: Outcome
        /// Whether the server closed the connection after answering.
        var closed: Bool
        var head: ResponseHead?
        var body: [UInt8] = []

        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// Sends `bytes` on a fresh connection and reads what comes back (each read bounded by
    /// `timeout`); `halfClose` shuts our side down after sending. With `waitForClose`, it then
    /// waits (up to `timeout`) to see whether the server closes the connection.
    static func raw(_ port: UInt16, _ bytes: [UInt8], timeout: Double = 3, halfClose: Bool = false,
                    waitForClose: Bool = true) async throws -> RawResult {
        try await offload {
            let c = try RawHTTPConnection(port: port, timeout: timeout)
            defer { c.close() }
            // The server may answer and close before it has read everything (431, 414): a
            // failed send is not the outcome, the answer is.
            try? c.send(bytes)
            if halfClose { shutdown(c.fd, Int32(SHUT_WR)) }
            let head: ResponseHead
            do {
                head = try c.readHead()
            } catch TestClientError.closed {
                return RawResult(outcome: .closedWithoutAnswer, closed: true)
            } catch TestClientError.timeout {
                return RawResult(outcome: .noAnswer, closed: false)
            }
            let body = (try? c.readBody(for: head, method: "POST")) ?? []
            let closed = waitForClose ? (try? c.waitForPeerClose()) ?? false : false
            return RawResult(outcome: .status(head.status), closed: closed, head: head, body: body)
        }
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// A well-formed set_flags request line and headers, so that a server that wrongly
    /// accepted the malformed part would send sw_interface_set_flags to VPP.
    static let setFlagsBody = #"{"sw_if_index":1,"flags":["IF_STATUS_API_FLAG_ADMIN_UP"]}"#

    struct RawCase {
        var name: String
        var bytes: [UInt8]
        var expected: Outcome
        /// Whether the server must close the connection after its answer.
        var closes: Bool = true
    }

    static var rawCases: [RawCase] {
        let post = "POST /v1/sw_interface_set_flags HTTP/1.1\r\nHost: x\r\n"
        let chunked = post + "Transfer-Encoding: chunked\r\n\r\n"
        let body = setFlagsBody
        let hexLength = String(body.utf8.count, radix: 16)
        return [
            // Request lines libmicrohttpd cannot split: the connection is closed, no answer.
            RawCase(name: "garbage request line", bytes: bytes("GARBAGE\r\n\r\n"), expected: .closedWithoutAnswer),
            RawCase(name: "method alone", bytes: bytes("POST\r\n\r\n"), expected: .closedWithoutAnswer),
            RawCase(name: "binary request line", bytes: [0x16, 0x03, 0x01, 0x00, 0xA5, 0x01, 0x00, 0x00, 0xA1, 0x03, 0x03, 13, 10, 13, 10],
                    expected: .closedWithoutAnswer),
            // Request lines it can split but not accept: its own 400 / 505, then close.
            RawCase(name: "no HTTP version", bytes: bytes("POST /v1/sw_interface_set_flags\r\n\r\n"), expected: .status(400)),
            RawCase(name: "extra token after the version", bytes: bytes("POST /v1/sw_interface_set_flags HTTP/1.1 extra\r\nHost: x\r\n\r\n"),
                    expected: .status(400)),
            RawCase(name: "unsupported HTTP version", bytes: bytes("POST /v1/sw_interface_set_flags HTTP/9.9\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"),
                    expected: .status(505)),
            RawCase(name: "header line without a colon", bytes: bytes(post + "NoColonHere\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"),
                    expected: .status(400)),
            // Huge heads: 431 for headers, 414 for the target (bounded per-connection memory).
            RawCase(name: "a 40 KiB header", bytes: bytes(post + "X-Huge: \(String(repeating: "h", count: 40_000))\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"),
                    expected: .status(431)),
            RawCase(name: "3,000 headers", bytes: bytes(post + (0..<3000).map { "X-\($0): v\r\n" }.joined() + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"),
                    expected: .status(431)),
            RawCase(name: "a 40 KiB request target", bytes: bytes("POST /v1/sw_interface_set_flags?\(String(repeating: "a", count: 40_000)) HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"),
                    expected: .status(414)),
            // Bad chunking: 400 (413 for a size that overflows), then close.
            RawCase(name: "chunk size not hex", bytes: bytes(chunked + "zz\r\n\(body)\r\n0\r\n\r\n"), expected: .status(400)),
            RawCase(name: "negative chunk size", bytes: bytes(chunked + "-\(hexLength)\r\n\(body)\r\n0\r\n\r\n"), expected: .status(400)),
            RawCase(name: "chunk not followed by CRLF", bytes: bytes(chunked + "\(hexLength)\r\n\(body)XX0\r\n\r\n"), expected: .status(400)),
            RawCase(name: "chunk size overflowing 64 bits", bytes: bytes(chunked + "FFFFFFFFFFFFFFFFFFFF\r\n\(body)\r\n0\r\n\r\n"),
                    expected: .status(413)),
            // Bad Content-Length: 400 (413 when it is merely too large), then close.
            RawCase(name: "Content-Length not a number", bytes: bytes(post + "Content-Length: abc\r\n\r\n\(body)"), expected: .status(400)),
            RawCase(name: "negative Content-Length", bytes: bytes(post + "Content-Length: -1\r\n\r\n\(body)"), expected: .status(400)),
            RawCase(name: "Content-Length with a sign", bytes: bytes(post + "Content-Length: +\(body.utf8.count)\r\n\r\n\(body)"), expected: .status(400)),
            RawCase(name: "Content-Length list", bytes: bytes(post + "Content-Length: \(body.utf8.count), \(body.utf8.count)\r\n\r\n\(body)"),
                    expected: .status(400)),
            RawCase(name: "Content-Length beyond 64 bits", bytes: bytes(post + "Content-Length: 99999999999999999999999\r\n\r\n\(body)"),
                    expected: .status(413)),
            RawCase(name: "Content-Length over the body limit", bytes: bytes(post + "Content-Length: 10000000\r\n\r\n\(body)"),
                    expected: .status(413)),
        ]
    }

    @Test func malformedHTTPIsRefusedAndTheServerKeepsServing() async throws {
        try await GatewayHarness.run(configure: Self.openPolicy) { h in
            for c in Self.rawCases {
                let r = try await Self.raw(h.port, c.bytes)
                #expect(r.outcome == c.expected, "\(c.name): \(r.outcome)")
                if c.closes { #expect(r.closed, "\(c.name): the connection stays open after \(r.outcome)") }
                if case .status(413) = r.outcome, r.head?.header("content-type") == "application/problem+json" {
                    // The server's own limit answers in the gateway's problem shape.
                    #expect(r.text.contains("/problems/body-too-large"), "\(c.name)")
                }
                let health = try await h.get("/healthz")
                #expect(health.status == 200, "after \(c.name)")
            }
            #expect(h.simulator.receivedCount("sw_interface_set_flags") == 0)
            // And a well-formed request still goes through.
            #expect(try await h.post("/v1/sw_interface_set_flags", Self.setFlagsBody).status == 200)
            #expect(h.simulator.receivedCount("sw_interface_set_flags") == 1)
        }
    }

    @Test func aTruncatedBodyIsNeverHandled() async throws {
        try await GatewayHarness.run(configure: { c in
            Self.openPolicy(&c)
            c.http.connectionTimeout = 1
        }) { h in
            let post = "POST /v1/sw_interface_set_flags HTTP/1.1\r\nHost: x\r\n"
            let body = Self.setFlagsBody
            // A body shorter than declared, or a chunked body that stops, then the client
            // goes quiet: the idle timeout (1 s here) closes it, the handler never runs.
            let short = try await Self.raw(h.port, Self.bytes(post + "Content-Length: \(body.utf8.count + 10)\r\n\r\n\(body)"), timeout: 4)
            #expect(short.outcome == .closedWithoutAnswer, "\(short.outcome)")
            let stopped = try await Self.raw(h.port, Self.bytes(post + "Transfer-Encoding: chunked\r\n\r\n40\r\n\(body)"), timeout: 4)
            #expect(stopped.outcome == .closedWithoutAnswer, "\(stopped.outcome)")
            // The same, with the client closing its side early.
            let halfClosed = try await Self.raw(h.port, Self.bytes(post + "Content-Length: 500\r\n\r\n\(body)"), timeout: 4, halfClose: true)
            #expect(halfClosed.outcome == .closedWithoutAnswer, "\(halfClosed.outcome)")
            #expect(h.simulator.receivedCount("sw_interface_set_flags") == 0)
            #expect(try await h.get("/healthz").status == 200)
        }
    }

    @Test func invalidUTF8IsRefusedOrReplacedNeverPassedOn() async throws {
        try await GatewayHarness.run(configure: Self.openPolicy) { h in
            let port = h.port
            // In a JSON body: malformed JSON, nothing sent.
            let body: [UInt8] = Array(#"{"cmd":""#.utf8) + [0xFF, 0xFE, 0xC0, 0x80] + Array(#""}"#.utf8)
            let bad = try await offload { try RawHTTPConnection(port: port).request("POST", "/v1/cli_inband", body: body) }
            #expect(bad.status == 400)
            #expect(try JSONParser.parse(bad.body)["type"] == .string("https://vpp-gateway.dev/problems/malformed-json"))
            // An overlong encoding and a lone surrogate escape are not UTF-8 either.
            let surrogate = try await h.post("/v1/cli_inband", #"{"cmd":"\ud800"}"#)
            #expect(surrogate.status == 400)
            // In the path (raw and percent-encoded): no such message, a clean 404.
            for target in ["/v1/%FF%FE", "/v1/sw_interface_dump%C0%80"] {
                let r = try await h.get(target)
                #expect(r.status == 404, "\(target)")
                #expect(r.header("content-type") == "application/problem+json", "\(target)")
            }
            let rawPath = try await Self.raw(port, [UInt8]("GET /v1/".utf8) + [0xFF, 0xFE] + Array(" HTTP/1.1\r\nHost: x\r\n\r\n".utf8),
                                             waitForClose: false)
            #expect(rawPath.outcome == .status(404))
            // In a query value for a string field it becomes U+FFFD (a valid string); in a
            // typed one it is refused.
            let typed = try await h.get("/v1/sw_interface_dump?sw_if_index=%FF")
            #expect(typed.status == 400)
            #expect(try JSONParser.parse(typed.body)["pointer"] == .string("/sw_if_index"))
            #expect(h.simulator.receivedCount("cli_inband") == 0)
            #expect(try await h.get("/healthz").status == 200)
        }
    }

    @Test func requestIDsAreEchoedOnlyWhenTheyAreSafeHeaderText() async throws {
        try await GatewayHarness.run(configure: Self.openPolicy) { h in
            let port = h.port
            let fine = try await h.get("/healthz", headers: [("X-Request-Id", "abc-123")])
            #expect(fine.header("x-request-id") == "abc-123")
            let long = try await h.get("/healthz", headers: [("X-Request-Id", String(repeating: "a", count: 129))])
            #expect(long.header("x-request-id")?.count ?? 0 < 129)
            // Control characters and non-ASCII bytes are not echoed into a response header.
            for value: [UInt8] in [[0x61, 0x01, 0x62], [0x61, 0x7F, 0x62], [0x61, 0xFF, 0xFE]] {
                let r = try await Self.raw(port, Array("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: ".utf8) + value + Array("\r\n\r\n".utf8),
                                           waitForClose: false)
                let echoed = r.head?.header("x-request-id") ?? ""
                #expect(r.outcome == .status(200))
                #expect(!echoed.isEmpty && echoed.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "echoed \(Array(echoed.utf8))")
            }
        }
    }

    // MARK: - Request smuggling and leniency (known issues in the HTTP layer)

    /// Ambiguous framing must not be guessed at: RFC 9112 §6.3 makes differing
    /// Content-Length values an unrecoverable error, and a request with both Transfer-Encoding
    /// and Content-Length must at least close the connection after the response (behind a
    /// proxy that reads the other length, both are request smuggling). libmicrohttpd 0.9.75
    /// (HTTPServer) refuses them before reading the body and closes the connection.
    @Test func ambiguousFramingIsRefused() async throws {
        try await GatewayHarness.run(configure: Self.openPolicy) { h in
            let body = Self.setFlagsBody
            let n = body.utf8.count
            let smuggled = "GET /v1/show_version HTTP/1.1\r\nHost: x\r\n\r\n"
            let twoLengths = "POST /v1/sw_interface_set_flags HTTP/1.1\r\nHost: x\r\nContent-Length: \(n)\r\nContent-Length: \(n + smuggled.utf8.count)\r\n\r\n\(body)\(smuggled)"
            let r = try await Self.raw(h.port, Self.bytes(twoLengths), timeout: 2)
            #expect(r.outcome == .status(400))
            #expect(h.simulator.receivedCount("sw_interface_set_flags") == 0)
            #expect(h.simulator.receivedCount("show_version") == 0)
            let both = "POST /v1/sw_interface_set_flags HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                + String(n, radix: 16) + "\r\n\(body)\r\n0\r\n\r\n" + smuggled
            let te = try await Self.raw(h.port, Self.bytes(both), timeout: 2)
            #expect(te.outcome == .status(400) || te.closed)
            #expect(try await h.get("/healthz").status == 200)
        }
    }

    /// RFC 9112 §3.2: an HTTP/1.1 request without Host, and §5.1: whitespace between a field
    /// name and the colon, MUST be answered 400; an unknown transfer coding SHOULD be 501.
    @Test func sloppyHeadersAreRefused() async throws {
        try await GatewayHarness.run(configure: Self.openPolicy) { h in
            let noHost = try await Self.raw(h.port, Self.bytes("GET /v1/show_version HTTP/1.1\r\n\r\n"), timeout: 2, waitForClose: false)
            let spaceBeforeColon = try await Self.raw(h.port, Self.bytes("GET /v1/show_version HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n"),
                                                      timeout: 2, waitForClose: false)
            #expect(noHost.outcome == .status(400))
            #expect(spaceBeforeColon.outcome == .status(400))
            let gzip = "POST /v1/sw_interface_set_flags HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n\(Self.setFlagsBody)"
            let unknownCoding = try await Self.raw(h.port, Self.bytes(gzip), timeout: 2)
            #expect(unknownCoding.outcome == .status(501) || unknownCoding.outcome == .status(400))
            #expect(h.simulator.receivedCount("sw_interface_set_flags") == 0)
        }
    }

    // MARK: - Bad JSON and wrong types, every kind of message

    struct Case: CustomStringConvertible {
        var method: String
        var target: String
        var body: String?
        var status: Int
        /// The problem type after https://vpp-gateway.dev/problems/.
        var kind: String
        /// The JSON pointer the problem must carry; nil: it must carry none.
        var pointer: String?
        /// The message that must not reach VPP.
        var message: String

        var description: String { "\(method) \(target)\(body.map { " " + $0.prefix(120) } ?? "")" }
    }

    static func bad(_ method: String, _ target: String, _ body: String? = nil, _ pointer: String?,
                    kind: String = "invalid-field", status: Int = 400, message: String) -> Case {
        Case(method: method, target: target, body: body, status: status, kind: kind, pointer: pointer, message: message)
    }

    static func malformed(_ target: String, _ body: String, message: String) -> Case {
        Case(method: "POST", target: target, body: body, status: 400, kind: "malformed-json", pointer: nil, message: message)
    }

    /// Malformed JSON every JSON-taking endpoint must refuse the same way.
    static let malformedBodies = [
        #"{"sw_if_index":"#,                       // truncated
        #"{"sw_if_index":1,}"#,                    // trailing comma
        #"{sw_if_index:1}"#,                       // unquoted key
        #"{"sw_if_index":01}"#,                    // leading zero
        #"{"sw_if_index":1} {}"#,                  // trailing data
        #"{"a":"\x"}"#,                            // bad escape
        "{\"a\":\"tab\there\"}",                   // raw control character in a string
        #"[1]"#, #""text""#, "42", "null", "true", // not an object
        String(repeating: "[", count: 10_000),     // deep nesting
        String(repeating: #"{"a":"#, count: 200) + "1" + String(repeating: "}", count: 200), // nesting past the limit
    ]

    static var jsonCases: [Case] {
        var cases: [Case] = []
        let flags = "/v1/sw_interface_set_flags", address = "/v1/sw_interface_add_del_address"
        let loopback = "/v1/create_loopback_instance", cli = "/v1/cli_inband", tag = "/v1/sw_interface_tag_add_del"
        let dump = "/v1/sw_interface_dump", ipDump = "/v1/ip_address_dump", txGet = "/v1/sw_interface_tx_placement_get"
        let encode = "/v1/encode/sw_interface_set_flags"
        for (target, message) in [(flags, "sw_interface_set_flags"), (address, "sw_interface_add_del_address"),
                                  (loopback, "create_loopback_instance"), (cli, "cli_inband"), (dump, "sw_interface_dump"),
                                  (ipDump, "ip_address_dump"), (txGet, "sw_interface_tx_placement_get"),
                                  (encode, "sw_interface_set_flags")] {
            for body in malformedBodies { cases.append(malformed(target, body, message: message)) }
        }
        let m = "sw_interface_set_flags"
        cases += [
            // Request/reply: sw_interface_set_flags.
            bad("POST", flags, #"{"sw_if_index":"1"}"#, "/sw_if_index", message: m),
            bad("POST", flags, #"{"sw_if_index":true}"#, "/sw_if_index", message: m),
            bad("POST", flags, #"{"sw_if_index":null}"#, "/sw_if_index", message: m),
            bad("POST", flags, #"{"sw_if_index":[1]}"#, "/sw_if_index", message: m),
            bad("POST", flags, #"{"sw_if_index":{}}"#, "/sw_if_index", message: m),
            bad("POST", flags, #"{"sw_if_index":-1}"#, "/sw_if_index", message: m),
            bad("POST", flags, #"{"sw_if_index":4294967296}"#, "/sw_if_index", message: m),
            bad("POST", flags, #"{"sw_if_index":1.5}"#, "/sw_if_index", message: m),
            bad("POST", flags, #"{"sw_if_index":123456789012345678901234567890}"#, "/sw_if_index", message: m),
            bad("POST", flags, #"{"sw_if_index":1,"flags":["NOPE"]}"#, "/flags/0", message: m),
            bad("POST", flags, #"{"sw_if_index":1,"flags":"NOPE"}"#, "/flags", message: m),
            bad("POST", flags, #"{"sw_if_index":1e999999999}"#, "/sw_if_index", message: m),
            bad("POST", flags, #"{"sw_if_index":1,"flags":["IF_STATUS_API_FLAG_ADMIN_UP",true]}"#, "/flags/1", message: m),
            bad("POST", flags, #"{"sw_if_index":1,"flags":[4294967296]}"#, "/flags/0", message: m),
            bad("POST", flags, #"{"sw_if_index":1,"flags":[1.5]}"#, "/flags/0", message: m),
            bad("POST", flags, #"{"sw_if_index":1,"flags":{"up":true}}"#, "/flags", message: m),
            bad("POST", flags, #"{"sw_if_idx":1}"#, "/sw_if_idx", message: m),
            bad("POST", flags, #"{"sw_if_index":1,"extra":{"deep":[1,2,3]}}"#, "/extra", message: m),
            bad("POST", flags, #"{"_msgname":"show_version","sw_if_index":1}"#, "/_msgname", message: m),
            bad("POST", flags, #"{"_crc":"00000000","sw_if_index":1}"#, "/_crc", message: m),
            bad("POST", flags + "?sw_if_index=abc", #"{"flags":1}"#, "/sw_if_index", message: m),
            bad("POST", flags + "?nope=1", "{}", "/nope", message: m),
            // A repeated key, or a field in both the query and the body: which one was meant?
            bad("POST", flags, #"{"sw_if_index":1,"flags":[],"sw_if_index":99}"#, "/sw_if_index", message: m),
            bad("POST", dump, #"{"sw_if_index":1,"name_filter_valid":true,"name_filter_valid":false}"#, "/name_filter_valid", message: "sw_interface_dump"),
            bad("POST", flags + "?sw_if_index=99", #"{"sw_if_index":1}"#, "/sw_if_index", message: m),
            // Request/reply: addresses and prefixes.
            bad("POST", address, #"{"sw_if_index":1,"is_add":true,"prefix":"10.0.0.1/33"}"#, "/prefix", message: "sw_interface_add_del_address"),
            bad("POST", address, #"{"sw_if_index":1,"is_add":true,"prefix":"300.1.1.1/24"}"#, "/prefix", message: "sw_interface_add_del_address"),
            bad("POST", address, #"{"sw_if_index":1,"is_add":true,"prefix":"10.0.0/24"}"#, "/prefix", message: "sw_interface_add_del_address"),
            bad("POST", address, #"{"sw_if_index":1,"is_add":true,"prefix":"fe80::1::2/64"}"#, "/prefix", message: "sw_interface_add_del_address"),
            bad("POST", address, #"{"sw_if_index":1,"is_add":true,"prefix":"2001:db8::/129"}"#, "/prefix", message: "sw_interface_add_del_address"),
            bad("POST", address, #"{"sw_if_index":1,"is_add":true,"prefix":"10.0.0.1/-1"}"#, "/prefix", message: "sw_interface_add_del_address"),
            bad("POST", address, #"{"sw_if_index":1,"is_add":true,"prefix":"not an address"}"#, "/prefix", message: "sw_interface_add_del_address"),
            bad("POST", address, #"{"sw_if_index":1,"is_add":true,"prefix":42}"#, "/prefix", message: "sw_interface_add_del_address"),
            bad("POST", address, #"{"sw_if_index":1,"is_add":true,"prefix":{"address":{"af":"ADDRESS_IP9","un":{"ip4":"10.0.0.1"}},"len":24}}"#,
                "/prefix", message: "sw_interface_add_del_address"),
            bad("POST", address, #"{"sw_if_index":1,"is_add":true,"prefix":{"address":"10.0.0.1","len":300}}"#,
                "/prefix", message: "sw_interface_add_del_address"),
            bad("POST", address, #"{"sw_if_index":1,"is_add":"yes","prefix":"10.0.0.1/24"}"#, "/is_add", message: "sw_interface_add_del_address"),
            bad("POST", address, #"{"sw_if_index":1,"is_add":true,"prefix":"10.0.0.1/24","color":"red"}"#, "/color", message: "sw_interface_add_del_address"),
            // Request/reply: MAC addresses and numbers.
            bad("POST", loopback, #"{"mac_address":"zz:zz:zz:zz:zz:zz"}"#, "/mac_address", message: "create_loopback_instance"),
            bad("POST", loopback, #"{"mac_address":"00:11:22:33:44"}"#, "/mac_address", message: "create_loopback_instance"),
            bad("POST", loopback, #"{"mac_address":"00:11:22:33:44:55:66"}"#, "/mac_address", message: "create_loopback_instance"),
            bad("POST", loopback, #"{"mac_address":"0011.2233.44zz"}"#, "/mac_address", message: "create_loopback_instance"),
            bad("POST", loopback, #"{"mac_address":[0,17,34,51,68,85,102]}"#, "/mac_address", message: "create_loopback_instance"),
            bad("POST", loopback, #"{"mac_address":12345}"#, "/mac_address", message: "create_loopback_instance"),
            bad("POST", loopback, #"{"is_specified":"true","user_instance":5}"#, "/is_specified", message: "create_loopback_instance"),
            bad("POST", loopback, #"{"is_specified":true,"user_instance":-5}"#, "/user_instance", message: "create_loopback_instance"),
            bad("POST", loopback, #"{"is_specified":true,"user_instance":4294967296}"#, "/user_instance", message: "create_loopback_instance"),
            // Request/reply: strings.
            bad("POST", cli, #"{"cmd":123}"#, "/cmd", message: "cli_inband"),
            bad("POST", cli, #"{"cmd":["show","version"]}"#, "/cmd", message: "cli_inband"),
            bad("POST", cli, #"{"cmd":null}"#, "/cmd", message: "cli_inband"),
            bad("POST", cli, #"{"command":"show version"}"#, "/command", message: "cli_inband"),
            bad("POST", tag, #"{"is_add":true,"sw_if_index":1,"tag":"\#(String(repeating: "t", count: 64))"}"#, "/tag", message: "sw_interface_tag_add_del"),
            bad("POST", tag, #"{"is_add":true,"sw_if_index":1,"tag":"\#(String(repeating: "é", count: 40))"}"#, "/tag", message: "sw_interface_tag_add_del"),
            bad("POST", "/v1/get_first_msg_id", #"{"name":"\#(String(repeating: "n", count: 200))"}"#, "/name", message: "get_first_msg_id"),
            bad("GET", "/v1/get_first_msg_id?name=\(String(repeating: "n", count: 64))", nil, "/name", message: "get_first_msg_id"),
            // Dump: sw_interface_dump (query and body).
            bad("GET", dump + "?sw_if_index=one", nil, "/sw_if_index", message: "sw_interface_dump"),
            bad("GET", dump + "?sw_if_index=-1", nil, "/sw_if_index", message: "sw_interface_dump"),
            bad("GET", dump + "?sw_if_index=4294967296", nil, "/sw_if_index", message: "sw_interface_dump"),
            bad("GET", dump + "?sw_if_index=99999999999999999999999", nil, "/sw_if_index", message: "sw_interface_dump"),
            bad("GET", dump + "?sw_if_index=1.0", nil, "/sw_if_index", message: "sw_interface_dump"),
            bad("GET", dump + "?sw_if_index=", nil, "/sw_if_index", message: "sw_interface_dump"),
            bad("GET", dump + "?sw_if_index=1&sw_if_index=2", nil, "/sw_if_index", message: "sw_interface_dump"),
            bad("GET", dump + "?name_filter_valid=maybe", nil, "/name_filter_valid", message: "sw_interface_dump"),
            bad("GET", dump + "?nope=1", nil, "/nope", message: "sw_interface_dump"),
            bad("GET", dump + "?context=7", nil, "/context", message: "sw_interface_dump"),
            bad("GET", dump + "?_vl_msg_id=7", nil, "/_vl_msg_id", message: "sw_interface_dump"),
            bad("POST", dump, #"{"sw_if_index":"all"}"#, "/sw_if_index", message: "sw_interface_dump"),
            bad("POST", dump, #"{"name_filter_valid":"yes","name_filter":"loop"}"#, "/name_filter_valid", message: "sw_interface_dump"),
            bad("POST", dump, #"{"name_filter_valid":true,"name_filter":7}"#, "/name_filter", message: "sw_interface_dump"),
            bad("POST", dump, #"{"filter":"loop"}"#, "/filter", message: "sw_interface_dump"),
            // Dump: ip_address_dump.
            bad("GET", ipDump + "?sw_if_index=1&is_ipv6=2", nil, "/is_ipv6", message: "ip_address_dump"),
            bad("GET", ipDump + "?sw_if_index=x", nil, "/sw_if_index", message: "ip_address_dump"),
            bad("POST", ipDump, #"{"sw_if_index":1,"is_ipv6":"no"}"#, "/is_ipv6", message: "ip_address_dump"),
            bad("POST", ipDump, #"{"sw_if_index":1,"af":"ADDRESS_IP4"}"#, "/af", message: "ip_address_dump"),
            // Get/stream: sw_interface_tx_placement_get.
            bad("GET", txGet + "?sw_if_index=x", nil, "/sw_if_index", message: "sw_interface_tx_placement_get"),
            bad("GET", txGet + "?cursor=abc", nil, "/cursor", message: "sw_interface_tx_placement_get"),
            bad("GET", txGet + "?queue_id=1", nil, "/queue_id", message: "sw_interface_tx_placement_get"),
            bad("POST", txGet, #"{"sw_if_index":[1]}"#, "/sw_if_index", message: "sw_interface_tx_placement_get"),
            bad("POST", txGet, #"{"sw_if_index":-2}"#, "/sw_if_index", message: "sw_interface_tx_placement_get"),
            bad("POST", txGet, #"{"cursor":"next"}"#, "/cursor", message: "sw_interface_tx_placement_get"),
            // Encode: the same validation, nothing sent (it never is).
            bad("POST", encode, #"{"flags":"NOPE"}"#, "/flags", message: m),
            bad("POST", encode, #"{"sw_if_index":-1}"#, "/sw_if_index", message: m),
            bad("POST", encode, #"{"sw_if_idx":1}"#, "/sw_if_idx", message: m),
            bad("POST", encode + "?msg_id=70000", "{}", "/msg_id", message: m),
            bad("POST", encode + "?msg_id=abc", "{}", "/msg_id", message: m),
            bad("POST", encode + "?context=-1", "{}", "/context", message: m),
            bad("POST", encode + "?client_index=4294967296", "{}", "/client_index", message: m),
            bad("POST", "/v1/encode/no_such_message", "{}", nil, kind: "unknown-message", status: 404, message: m),
            // Decode: bytes that are not the message, or no such message.
            bad("POST", "/v1/decode?message=sw_interface_set_flags", "\u{1}", "/_vl_msg_id", message: m),
            bad("POST", "/v1/decode?message=no_such_message", "xx", "/message", kind: "unknown-message", status: 404, message: m),
        ]
        return cases
    }

    @Test func badJSONAndWrongTypesAre400WithAPointerAndNothingReachesVPP() async throws {
        try await GatewayHarness.run(configure: Self.openPolicy) { h in
            var checked = 0
            for c in Self.jsonCases {
                let before = h.simulator.receivedCount(c.message)
                let r = try await h.request(c.method, c.target, body: c.body)
                let problem = try? JSONParser.parse(r.body)
                #expect(r.status == c.status, "\(c): \(r.status) \(r.text.prefix(300))")
                #expect(r.header("content-type") == "application/problem+json", "\(c)")
                #expect(problem?["type"] == .string("https://vpp-gateway.dev/problems/\(c.kind)"), "\(c): \(r.text.prefix(300))")
                #expect(problem?["status"]?.numberValue?.int64Value == Int64(c.status), "\(c)")
                #expect(problem?["pointer"] == c.pointer.map { .string($0) }, "\(c): \(r.text.prefix(300))")
                #expect(problem?["detail"]?.stringValue?.isEmpty == false, "\(c)")
                #expect(h.simulator.receivedCount(c.message) == before, "\(c) reached VPP")
                checked += 1
            }
            #expect(checked > 150)
            #expect(Self.watched.allSatisfy { h.simulator.receivedCount($0) == 0 }, "\(Self.counts(h))")
            // Still serving, and the same messages go through when well-formed.
            #expect(try await h.post("/v1/sw_interface_set_flags", Self.setFlagsBody).status == 200)
            #expect(try await h.post("/v1/sw_interface_add_del_address", #"{"sw_if_index":1,"is_add":true,"prefix":"10.0.0.1/24"}"#).status == 200)
            #expect(try await h.post("/v1/create_loopback_instance", #"{"mac_address":"00:11:22:33:44:55"}"#).status == 200)
            #expect(try await h.post("/v1/cli_inband", #"{"cmd":"show version"}"#).status == 200)
            #expect(try await h.get("/v1/sw_interface_dump?sw_if_index=1").status == 200)
        }
    }

    // MARK: - Events

    @Test func badEventArgumentsAndFiltersAre400AndRegisterNothing() async throws {
        try await GatewayHarness.run(configure: { c in
            Self.openPolicy(&c)
            c.events.linger = .milliseconds(100)
        }) { h in
            let e = "/v1/events/sw_interface_event"
            let cases: [(String, [(String, String)], Int, String, String?)] = [
                (e + "?sw_if_index=abc", [], 400, "invalid-field", "/sw_if_index"),
                (e + "?sw_if_index=-1", [], 400, "invalid-field", "/sw_if_index"),
                (e + "?sw_if_index=4294967296", [], 400, "invalid-field", "/sw_if_index"),
                (e + "?sw_if_index=1.5", [], 400, "invalid-field", "/sw_if_index"),
                (e + "?deleted=maybe", [], 400, "invalid-field", "/deleted"),
                (e + "?flags=NOPE", [], 400, "invalid-field", "/flags/0"),
                (e + "?flags=IF_STATUS_API_FLAG_ADMIN_UP,NOPE", [], 400, "invalid-field", "/flags/1"),
                (e + "?sw_if_index=1&sw_if_index=2", [], 400, "invalid-field", "/sw_if_index"),
                (e + "?pid=abc", [], 400, "invalid-field", "/pid"),
                (e + "?no_such_field=1", [], 400, "invalid-field", "/no_such_field"),
                // The registration's own switch is the gateway's, not a caller's.
                (e + "?enable_disable=0", [], 400, "invalid-field", "/enable_disable"),
                (e + "?_vl_msg_id=1", [], 400, "invalid-field", "/_vl_msg_id"),
                (e, [("Last-Event-ID", "yesterday")], 400, "invalid-field", nil),
                (e + "?last_event_id=-5", [], 400, "invalid-field", nil),
                (e + "?last_event_id=99999999999999999999999", [], 400, "invalid-field", nil),
                ("/v1/events", [], 400, "invalid-field", "/name"),
                ("/v1/events?name=", [], 404, "unknown-message", nil),
                ("/v1/events?name=show_version", [], 404, "unknown-message", nil),
                ("/v1/events?name=sw_interface_event&name=nope", [], 404, "unknown-message", nil),
                ("/v1/events/no_such_event", [], 404, "unknown-message", nil),
                ("/v1/events/want_interface_events", [], 404, "unknown-message", nil),
            ]
            for (target, headers, status, kind, pointer) in cases {
                let r = try await h.get(target, headers: headers)
                let problem = try? JSONParser.parse(r.body)
                #expect(r.status == status, "\(target): \(r.status) \(r.text.prefix(300))")
                #expect(problem?["type"] == .string("https://vpp-gateway.dev/problems/\(kind)"), "\(target): \(r.text.prefix(300))")
                #expect(problem?["pointer"] == pointer.map { .string($0) }, "\(target): \(r.text.prefix(300))")
            }
            #expect(try await h.request("POST", e, body: "{}").status == 405)
            #expect(h.simulator.receivedCount("want_interface_events") == 0)
            #expect(await h.gateway.hub.statistics().registrations == 0)
            // A well-formed subscription registers once and works.
            let s = try await h.events(e + "?sw_if_index=1")
            #expect(s.status == 200)
            #expect(h.simulator.receivedCount("want_interface_events") == 1)
            s.close()
        }
    }
}
