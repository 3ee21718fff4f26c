import Foundation
import Testing
import VPPJSON
import VPPTestSupport

/// `vpp-gateway serve` and `token`, run as an operator would.
@Suite(.serialized) struct ServeCommandTests {
    /// A port nothing listens on right now.
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return UInt16(bigEndian: a.sin_port)
    }

    @Test func settingsComeFromFlagsThenEnvironmentThenTheConfigFile() throws {
        let file = NSTemporaryDirectory() + "gw-config-\(UUID().uuidString).json"
        try #"{"listen":"127.0.0.1:9001","socket":"/tmp/from-file.sock","call-timeout":3,"deny":["create_*"]}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let r = try GatewayExecutable.run(["serve", "--print-config", "--config", file, "--listen", "127.0.0.1:9002"],
                                          environment: ["VPP_GATEWAY_SOCKET": "/tmp/from-env.sock", "VPP_GATEWAY_LOG_LEVEL": "debug"])
        #expect(r.status == 0)
        let c = try JSONParser.parse(r.stdout)
        #expect(c["listen"]?["value"] == .string("127.0.0.1:9002"))
        #expect(c["listen"]?["source"] == .string("flag --listen"))
        #expect(c["socket"]?["value"] == .string("/tmp/from-env.sock"))
        #expect(c["socket"]?["source"] == .string("environment VPP_GATEWAY_SOCKET"))
        #expect(c["call-timeout"]?["value"]?.numberValue?.doubleValue == 3)
        #expect(c["call-timeout"]?["source"]?.stringValue?.hasPrefix("config file") == true)
        #expect(c["deny"]?["value"] == .array([.string("create_*")]))
        #expect(c["idle-timeout"]?["source"] == .string("default"))
        let bad = try GatewayExecutable.run(["serve", "--print-config"], environment: ["VPP_GATEWAY_CALL_TIMEOUT": "soon"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("environment VPP_GATEWAY_CALL_TIMEOUT: call-timeout must be a non-negative number"))
        let threads = try GatewayExecutable.run(["serve", "--print-config", "--http-threads", "0"])
        #expect(threads.status == 2 && threads.stderr.contains("http-threads must be between 1 and 1024"))
        let origin = try GatewayExecutable.run(["serve", "--print-config", "--cors-origin", "https://dash.example.com/app"])
        #expect(origin.status == 2 && origin.stderr.contains("cors-origin: \"https://dash.example.com/app\" is not an origin"))
        try #"{"lsiten":"x"}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let typo = try GatewayExecutable.run(["serve", "--print-config", "--config", file])
        #expect(typo.status == 2 && typo.stderr.contains("unknown setting \"lsiten\""))
        let port = try GatewayExecutable.run(["serve", "--listen", "127.0.0.1:99999"])
        #expect(port.status == 2 && port.stderr.contains("must be a number from 0 to 65535"))
    }

    @Test func servingBeyondLoopbackWithoutTokensIsRefused() throws {
        let r = try GatewayExecutable.run(["serve", "--simulate", "--listen", "0.0.0.0:0"])
        #expect(r.status == 2)
        #expect(r.stderr.contains("--insecure-no-auth"))
    }

    @Test func tokenPrintsAHashedLineAndTheTokenOnce() throws {
        let r = try GatewayExecutable.run(["token", "--name", "ci", "--scopes", "read,events"])
        #expect(r.status == 0)
        let parts = r.stdout.split(separator: " ")
        #expect(parts.count == 3 && parts[0].hasPrefix("sha256:") && parts[0].count == 7 + 64)
        #expect(parts[1] == "ci" && parts[2] == "read,events\n")
        #expect(r.stderr.hasPrefix("token (shown once): "))
        #expect(!r.stdout.contains(r.stderr.dropFirst("token (shown once): ".count).trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// Starts `serve` with `arguments` on a free port and waits until `probe` answers.
    /// Starts `vpp-gateway serve` on a free port and waits until `probe` (by default:
    /// `/readyz` answers 200) says it serves. Standard error goes to `standardError` if given.
    static func startServe(_ arguments: [String], standardError: Pipe? = nil, standardOutput: Pipe? = nil,
                           probe: @escaping @Sendable (UInt16) throws -> Bool = { try RawHTTPConnection(port: $0, timeout: 2).request("GET", "/readyz").status == 200 })
        async throws -> (Process, UInt16) {
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: GatewayExecutable.path)
        process.arguments = ["serve", "--listen", "127.0.0.1:\(port)"] + arguments
        process.standardOutput = standardOutput ?? FileHandle.nullDevice
        process.standardError = standardError ?? FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if (try? await offload { try probe(port) }) == true { return (process, port) }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.terminate()
        throw TestClientError.timeout("serve did not come up")
    }

    static func curl(_ url: String, _ extra: [String]) throws -> Int {
        let r = try runProcess(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5"] + extra + [url])
        return Int(r.output) ?? 0
    }

    @Test(.enabled(if: TestPKI.toolsAvailable, "needs openssl and curl"))
    func tlsFlagsServeHTTPSAndMutualTLS() async throws {
        let pki = try await offload { try TestPKI() }
        defer { pki.remove() }
        let ca = ["--cacert", pki.path("ca.pem")]
        let client = ["--cert", pki.path("client.pem"), "--key", pki.path("client.key")]
        let (https, port) = try await Self.startServe(
            ["--simulate", "--tls-cert", pki.path("server.pem"), "--tls-key", pki.path("server.key")],
            probe: { try Self.curl("https://127.0.0.1:\($0)/readyz", ca) == 200 })
        #expect(try await offload { try Self.curl("https://127.0.0.1:\(port)/v1/show_version", ca) } == 200)
        https.terminate()
        https.waitUntilExit()
        let (mutual, port2) = try await Self.startServe(
            ["--simulate", "--tls-cert", pki.path("server.pem"), "--tls-key", pki.path("server.key"),
             "--tls-client-ca", pki.path("ca.pem")],
            probe: { try Self.curl("https://127.0.0.1:\($0)/readyz", ca + client) == 200 })
        defer { mutual.terminate() }
        #expect(try await offload { try Self.curl("https://127.0.0.1:\(port2)/v1/show_version", ca + client) } == 200)
        let intruder = ["--cert", pki.path("intruder.pem"), "--key", pki.path("intruder.key")]
        #expect(try await offload { try Self.curl("https://127.0.0.1:\(port2)/v1/show_version", ca + intruder) } != 200)
        #expect(try await offload { try Self.curl("https://127.0.0.1:\(port2)/v1/show_version", ca) } != 200)
    }

    @Test func sigtermEndsStreamsWithAFinalEventAndExitsCleanly() async throws {
        let err = Pipe()
        let (process, port) = try await Self.startServe(["--simulate", "--log-format", "json", "--shutdown-grace", "3"], standardError: err)
        defer { if process.isRunning { process.terminate() } }
        let sawShutdown = Task {
            try await offload { () -> Bool in
                let c = try RawHTTPConnection(port: port, timeout: 10)
                try c.sendRequest("GET", "/v1/events/sw_interface_event")
                let head = try c.readHead()
                var text = ""
                while let chunk = try c.readPiece(of: head) {
                    text += String(decoding: chunk, as: UTF8.self)
                    if text.contains("event: shutdown") { return true }
                }
                return false
            }
        }
        try await Task.sleep(for: .milliseconds(500))
        let stopped = ContinuousClock.now
        process.terminate() // SIGTERM
        #expect(try await sawShutdown.value)
        while process.isRunning, ContinuousClock.now - stopped < .seconds(10) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
        let logs = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let lines = logs.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
        #expect(lines.contains { $0["message"] == .string("request") && $0["request_id"] != nil && $0["path"] == .string("/readyz") })
        #expect(lines.contains { $0["message"] == .string("stopped") })
    }

    @Test func theStartUpExamplesReachAPipeWhileServing() async throws {
        // docker logs, journald and `| tee` read standard output through a pipe, where stdio
        // would hold the banner in its buffer until the process ends.
        let out = Pipe()
        let (process, port) = try await Self.startServe(["--simulate"], standardOutput: out)
        defer { if process.isRunning { process.terminate() } }
        // If the banner never comes, end the process so the read below ends (and fails).
        let watchdog = Task {
            try await Task.sleep(for: .seconds(10))
            process.terminate()
        }
        let banner = try await offload { () -> String in
            var text = ""
            while !text.contains("Ctrl-C to stop.") {
                let data = out.fileHandleForReading.availableData
                if data.isEmpty { break }
                text += String(decoding: data, as: UTF8.self)
            }
            return text
        }
        watchdog.cancel()
        let fired = (try? await watchdog.value) != nil
        #expect(!fired, "the banner reached the pipe only when the process ended")
        #expect(banner.contains("VPPGateway listening on http://127.0.0.1:\(port)"))
        #expect(banner.contains("curl -N http://127.0.0.1:\(port)/v1/events/sw_interface_event"))
        // Only commands that work as printed: cli_inband is refused unless allowed.
        #expect(!banner.contains("/v1/cli_inband"))
    }

    @Test func aVPPSocketThatCannotBeReachedIsAWarningAtTheDefaultLogLevel() async throws {
        // An operator with a wrong --socket must see why every call is 503 without debug logs.
        let err = Pipe()
        let missing = "/tmp/vppgw-missing-\(UInt32.random(in: 0...UInt32.max)).sock"
        let (process, port) = try await Self.startServe(
            ["--socket", missing], standardError: err,
            probe: { try RawHTTPConnection(port: $0, timeout: 2).request("GET", "/healthz").status == 200 })
        let watchdog = Task {
            try await Task.sleep(for: .seconds(10))
            process.terminate()
        }
        let log = try await offload { () -> String in
            var text = ""
            while !(text.contains("cannot connect to VPP") && text.contains("attempt=2")) {
                let data = err.fileHandleForReading.availableData
                if data.isEmpty { break }
                text += String(decoding: data, as: UTF8.self)
            }
            return text
        }
        watchdog.cancel()
        // Without VPP and without --api-dir there is no schema yet: 503, and when to retry.
        let call = try await offload { try RawHTTPConnection(port: port, timeout: 2).request("GET", "/v1/show_version") }
        if process.isRunning { process.terminate() }
        #expect(call.status == 503 && call.header("retry-after") == "1")
        #expect(call.text.contains("no API schema yet"))
        let lines = log.split(separator: "\n").filter { $0.contains("cannot connect to VPP") }
        #expect(lines.count >= 2, "\(log)")
        #expect(lines.allSatisfy { $0.contains("warning") && $0.contains(missing) && $0.contains("No such file") })
    }

    @Test func aLoopbackGatewayWithoutTokensAnswersOnlyLoopbackNamesAndItsPublicURL() async throws {
        let (process, port) = try await Self.startServe(["--simulate", "--public-url", "http://gw.example:8080"])
        defer { if process.isRunning { process.terminate() } }
        let url = "http://127.0.0.1:\(port)/v1/show_version"
        #expect(try Self.curl(url, []) == 200)
        #expect(try Self.curl(url, ["-H", "Host: rebind.example:\(port)"]) == 403)
        #expect(try Self.curl(url, ["-H", "Host: gw.example:8080"]) == 200)
        #expect(try Self.curl("http://localhost:\(port)/v1/show_version", []) == 200)
    }

    @Test func aStalledLogReaderNeverStallsRequests() async throws {
        // Every request logs a line; nobody reads standard error, whose pipe (64 KiB) is
        // full after a few hundred lines. Requests must go on regardless: logging must
        // never block the threads that answer them.
        let err = Pipe()
        let (process, port) = try await Self.startServe(["--simulate", "--shutdown-grace", "2"], standardError: err)
        defer { if process.isRunning { process.terminate() } }
        let answered = try await offload { () -> Int in
            let c = try RawHTTPConnection(port: port, timeout: 5)
            var ok = 0
            for _ in 0..<2_000 where try c.request("POST", "/v1/show_version", body: Array("{}".utf8)).status == 200 { ok += 1 }
            return ok
        }
        #expect(answered == 2_000)
        let logs = Task { try await offload { String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) } }
        process.terminate()
        let text = try await logs.value
        #expect(text.contains("path=/v1/show_version"))
        #expect(text.contains("stopped"))
    }
}
