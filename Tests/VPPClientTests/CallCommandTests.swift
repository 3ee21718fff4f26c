import Foundation
import Testing
import VPPJSON
import VPPSimulator
import VPPTestSupport

/// `vpp-gateway call`, run as an operator would run it, against an in-process simulator.
@Suite("vpp-gateway call")
struct CallCommandTests {
    /// Runs the binary off the cooperative pool (it blocks until the process exits).
    func run(_ arguments: [String], input: String? = nil) async throws -> GatewayExecutable.Result {
        try await withCheckedThrowingContinuation { c in
            Thread.detachNewThread {
                c.resume(with: Result { try GatewayExecutable.run(arguments, input: input) })
            }
        }
    }

    @Test("a request prints its reply as one canonical JSON line")
    func requestReply() async throws {
        try await withSimulator { sim in
            let r = try await run(["call", "--socket", sim.socketPath, "show_version"])
            #expect(r.status == 0, "\(r.stderr)")
            let lines = r.stdout.split(separator: "\n")
            #expect(lines.count == 1)
            let reply = try JSONParser.parse(String(lines[0]))
            #expect(reply["_msgname"]?.stringValue == "show_version_reply")
            #expect(reply["version"]?.stringValue == sim.configuration.version)
            #expect(sim.receivedCount("sockclnt_delete") == 1, "the CLI says goodbye to VPP")
        }
    }

    @Test("a dump and a get/stream call print one line per details message")
    func dumps() async throws {
        try await withSimulator(interfaces: 5, streamPageSize: 2) { sim in
            let dump = try await run(["call", "--socket", sim.socketPath, "sw_interface_dump"])
            #expect(dump.status == 0, "\(dump.stderr)")
            #expect(dump.stdout.split(separator: "\n").count == 6)
            let paged = try await run(["call", "--socket", sim.socketPath, "sw_interface_tx_placement_get", "-"],
                                      input: #"{"sw_if_index": 4294967295}"#)
            #expect(paged.status == 0, "\(paged.stderr)")
            #expect(paged.stdout.split(separator: "\n").count == 5)
        }
    }

    @Test("a non-zero retval prints the reply, names the error on stderr and exits 1")
    func retvalFails() async throws {
        try await withSimulator { sim in
            let r = try await run(["call", "--socket", sim.socketPath, "delete_loopback", #"{"sw_if_index": 99}"#])
            #expect(r.status == 1)
            #expect(r.stdout.contains(#""retval":-2"#))
            #expect(r.stderr.contains("INVALID_SW_IF_INDEX"))
        }
    }

    @Test("bad input exits 2 and an unreachable VPP exits 1, each with a message")
    func failures() async throws {
        try await withSimulator { sim in
            let json = try await run(["call", "--socket", sim.socketPath, "show_version", "{nope"])
            #expect(json.status == 2)
            #expect(json.stderr.contains("invalid JSON"))
            let unknown = try await run(["call", "--socket", sim.socketPath, "no_such_message"])
            #expect(unknown.status == 2)
            #expect(unknown.stderr.contains("no_such_message"))
        }
        let away = try await run(["call", "--socket", "/tmp/vppc-no-such-socket.sock", "show_version"])
        #expect(away.status == 1)
        #expect(away.stderr.contains("cannot connect to VPP at /tmp/vppc-no-such-socket.sock"))
        let help = try await run(["call", "--help"])
        #expect(help.stdout.contains("Examples:"))
        #expect(help.stdout.contains("--api-dir"))
    }
}
