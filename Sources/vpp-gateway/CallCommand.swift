import ArgumentParser
import Foundation
import Logging
import VPPClient
import VPPCodec
import VPPJSON
import VPPSchema

/// `vpp-gateway call`: one request, dump or get/stream call against a running VPP.
///
/// The quickest way to check what the gateway would see: it uses the same client (live
/// schema from `get_api_json`, id table from the handshake, CRC checks) and prints VPP's
/// answer in canonical JSON, one object per line, so the output pipes into `jq`.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Send one request, dump or get/stream call to a running VPP and print the answer as JSON.",
        discussion: """
            Connects to VPP's API socket, sends MESSAGE with the fields of JSON (an object; \
            missing fields take their .api.json default, else zero) and prints the reply — or \
            every details message of a dump or get/stream call — as canonical JSON, one \
            object per line. Dumps are closed with control_ping; get/stream calls follow the \
            cursor while VPP answers -165 EAGAIN.

            The schema comes from the connected VPP (get_api_json, VPP 24.06 and later), \
            merged over --api-dir (default /usr/share/vpp/api when present). Messages the \
            connected VPP lacks, or has with another CRC, are refused.

            Exit status: 0 on success; 1 when VPP answers with a non-zero retval (its name \
            from VPP's error table is printed on stderr), times out, or cannot be reached; \
            2 for invalid input.

            Examples:
              vpp-gateway call show_version
              vpp-gateway call sw_interface_dump
              vpp-gateway call sw_interface_dump '{"sw_if_index":1}'
              vpp-gateway call create_loopback '{"mac_address":"02:00:00:00:00:01"}'
              vpp-gateway call sw_interface_tx_placement_get '{"sw_if_index":4294967295}'
              echo '{"cmd":"show interface"}' | vpp-gateway call cli_inband -
              vpp-gateway call --socket /tmp/vpp-api.sock --timeout 30 show_threads
              vpp-gateway call --repeat 100000 --concurrency 64 control_ping

            With --repeat the call is made that many times (by --concurrency concurrent \
            callers over the one connection) and only a summary is printed: one JSON object \
            with the count, errors, seconds and calls per second.
            """)

    @Argument(help: ArgumentHelp("The request, dump or get message, e.g. show_version.", valueName: "MESSAGE"))
    var name: String

    @Argument(help: ArgumentHelp("The fields as a JSON object ('-' reads it from standard input). Default: {}.",
                                 valueName: "JSON"))
    var fields: String?

    @Option(help: "VPP's API socket.")
    var socket: String = "/run/vpp/api.sock"

    @Option(name: .customLong("api-dir"), help: ArgumentHelp(
        "A folder (searched recursively) or file of .api.json definitions merged under VPP's own. Repeatable.",
        valueName: "DIR"))
    var apiDirectories: [String] = []

    @Option(help: "Seconds to wait for the reply (for dumps: between two messages).")
    var timeout: Double = 10

    @Option(help: "Make the call this many times and print a throughput summary instead of the replies.")
    var `repeat`: Int = 1

    @Option(help: "Concurrent callers for --repeat.")
    var concurrency: Int = 1

    @Flag(help: "Log the connection and schema details on stderr.")
    var verbose = false

    func validate() throws {
        guard timeout > 0, timeout.isFinite, timeout <= 86_400 else {
            throw ValidationError("--timeout must be between 0 and 86400 seconds")
        }
        guard `repeat` >= 1, concurrency >= 1, concurrency <= 100_000 else {
            throw ValidationError("--repeat and --concurrency must be at least 1 (concurrency at most 100000)")
        }
    }

    func run() async throws {
        let request = try parseFields()
        var logger = Logger(label: "vpp-gateway") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = verbose ? .debug : .error
        var dirs = apiDirectories
        if dirs.isEmpty, FileManager.default.fileExists(atPath: "/usr/share/vpp/api") { dirs = ["/usr/share/vpp/api"] }
        let limit = Duration.nanoseconds(Int64(timeout * 1e9))
        let client = VPPClient(configuration: VPPClientConfiguration(
            socketPath: socket, clientName: "vpp-gateway-call", apiDirectories: dirs,
            callTimeout: limit, handshakeTimeout: max(limit, .seconds(30))), logger: logger)
        do throws(VPPError) {
            try await client.connect()
        } catch {
            if case .connectFailed(let why) = error {
                fail("cannot connect to VPP at \(socket): \(why)")
            } else {
                fail("cannot connect to VPP at \(socket): \(error)")
            }
            throw ExitCode(1)
        }
        let status = `repeat` > 1 ? await repeatCalls(client, request) : await perform(client, request)
        await client.shutdown()
        if status != 0 { throw ExitCode(status) }
    }

    /// Sends the call and prints its answer; returns the exit status.
    private func perform(_ client: VPPClient, _ request: JSONValue) async -> Int32 {
        let pattern = client.session?.schema.service(for: name)?.pattern
        var out = OutputBuffer()
        do throws(VPPError) {
            if pattern == .dump || pattern == .getStream {
                var it = client.dump(name, request).makeAsyncIterator()
                while let details = try await it.next() { out.line(details.json) }
                out.flush()
                return 0
            }
            let reply = try await client.call(name, request)
            out.line(reply.json)
            out.flush()
            if let code = reply.retval, code != 0 {
                fail("\(name) failed: retval \(code) \(describe(code))")
                return 1
            }
            return 0
        } catch {
            out.flush()
            switch error {
            case .retval(let code, let replyName, let reply):
                FileHandle.standardOutput.write(Data(reply.json + [UInt8(ascii: "\n")]))
                fail("\(replyName) failed: retval \(code) \(describe(code))")
                return 1
            case .invalidRequest, .wrongPattern, .messageUnavailable(_, .notInSchema):
                fail("\(error)")
                return 2
            default:
                fail("\(error)")
                return 1
            }
        }
    }

    /// `--repeat`: the same request-reply call `repeat` times from `concurrency` tasks.
    private func repeatCalls(_ client: VPPClient, _ request: JSONValue) async -> Int32 {
        let pattern = client.session?.schema.service(for: name)?.pattern
        if pattern == .dump || pattern == .getStream {
            fail("--repeat supports request/reply messages only")
            return 2
        }
        let total = `repeat`
        let callers = min(concurrency, total)
        let name = self.name
        let start = ContinuousClock.now
        let (errors, firstError) = await withTaskGroup(of: (Int, VPPError?).self) { group in
            for caller in 0..<callers {
                let count = total / callers + (caller < total % callers ? 1 : 0)
                group.addTask {
                    var errors = 0
                    var first: VPPError?
                    for _ in 0..<count {
                        do throws(VPPError) {
                            _ = try await client.call(name, request)
                        } catch {
                            errors += 1
                            if first == nil { first = error }
                        }
                    }
                    return (errors, first)
                }
            }
            var errors = 0
            var first: VPPError?
            for await (e, f) in group {
                errors += e
                if first == nil { first = f }
            }
            return (errors, first)
        }
        let c = (ContinuousClock.now - start).components
        let seconds = Double(c.seconds) + Double(c.attoseconds) / 1e18
        let rate = Double(total) / max(seconds, 1e-9)
        print(#"{"message":"\#(name)","calls":\#(total),"concurrency":\#(callers),"errors":\#(errors),"#
              + #""seconds":\#(String(format: "%.3f", seconds)),"calls_per_second":\#(Int(rate))}"#)
        if let firstError { fail("first error: \(firstError)") }
        return errors == 0 ? 0 : 1
    }

    private func describe(_ code: Int32) -> String {
        guard let e = VPPErrorCode.lookup(code) else { return "(not in VPP's error table)" }
        return "\(e.name) (\(e.message))"
    }

    private func parseFields() throws -> JSONValue {
        var text = fields ?? "{}"
        if text == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            if text.allSatisfy(\.isWhitespace) { text = "{}" }
        }
        let parsed = Result { () throws(JSONParseError) -> JSONValue in try JSONParser.parse(text) }
        switch parsed {
        case .success(let value):
            guard case .object = value else {
                fail("the fields must be a JSON object, got \(value.typeName)")
                throw ExitCode(2)
            }
            return value
        case .failure(let error):
            fail("invalid JSON: \(error)")
            throw ExitCode(2)
        }
    }

    private func fail(_ message: String) {
        FileHandle.standardError.write(Data("vpp-gateway call: \(message)\n".utf8))
    }
}

/// Batches stdout writes (a dump can be 10,000 lines).
private struct OutputBuffer {
    private var bytes: [UInt8] = []

    mutating func line(_ json: [UInt8]) {
        bytes += json
        bytes.append(UInt8(ascii: "\n"))
        if bytes.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        guard !bytes.isEmpty else { return }
        FileHandle.standardOutput.write(Data(bytes))
        bytes.removeAll(keepingCapacity: true)
    }
}
