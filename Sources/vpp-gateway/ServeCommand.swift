#if canImport(Gateway)
import ArgumentParser
import Foundation
import Gateway
import HTTPServer
import Logging
import VPPClient
import VPPSchema
import VPPSimulator

/// `vpp-gateway serve`: the gateway itself.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve VPP's binary API as HTTP/JSON endpoints and Server-Sent Events.",
        discussion: """
            Connects to VPP's API socket (retrying while VPP is away, answering 503 meanwhile) and \
            serves every message of the loaded API. With --simulate it starts the built-in VPP \
            simulator on a private socket instead: the quickest way to try the gateway.

            Examples:
              vpp-gateway serve --simulate
              vpp-gateway serve --socket /run/vpp/api.sock --listen 0.0.0.0:8080
              curl -s localhost:8080/v1/show_version
              curl -N localhost:8080/v1/events/sw_interface_event
            """)

    @Option(help: "Address and port to listen on (HOST:PORT, [IPv6]:PORT, or a port).")
    var listen: String = "127.0.0.1:8080"

    @Option(help: "VPP's API socket.")
    var socket: String = "/run/vpp/api.sock"

    @Option(name: .customLong("api-dir"), help: ArgumentHelp(
        ".api.json folders merged with the schema VPP serves (get_api_json). Repeatable. Default: /usr/share/vpp/api when present.",
        valueName: "DIR"))
    var apiDirectories: [String] = []

    @Flag(help: "Start the built-in VPP simulator on a private socket and serve it.")
    var simulate = false

    @Option(name: .customLong("sim-interfaces"), help: "Loopback interfaces the simulator starts with.")
    var simulatorInterfaces: Int = 3

    @Option(name: .customLong("sim-event-rate"), help: "Link toggles per second the simulator makes (sw_interface_event), 0 for none.")
    var simulatorEventRate: Double = 0

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Seconds to wait for VPP's answer to a call.")
    var callTimeout: Double = 10

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "vpp-gateway")
        let (host, port) = try Self.parseListen(listen)
        var apiDirs = apiDirectories
        if apiDirs.isEmpty, FileManager.default.fileExists(atPath: "/usr/share/vpp/api") { apiDirs = ["/usr/share/vpp/api"] }

        var simulator: VPPSimulator?
        var socketPath = socket
        var offlineSchema: Schema?
        if simulate {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vpp-gateway-\(getpid())")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            socketPath = dir.appendingPathComponent("api.sock").path
            let sim = try VPPSimulator(configuration: SimulatorConfiguration(
                socketPath: socketPath, apiDirectories: apiDirectories, interfaces: simulatorInterfaces),
                logger: Logger(label: "vpp-simulator"))
            try sim.start()
            if simulatorEventRate > 0 { sim.toggleLinks(ratePerSecond: simulatorEventRate) }
            simulator = sim
            offlineSchema = sim.schema
        } else if !apiDirs.isEmpty {
            var loader = SchemaLoader()
            for d in apiDirs { loader.add(path: d) }
            let (schema, problems) = loader.buildAllowingProblems()
            for p in problems.prefix(20) { logger.warning("schema: \(p)") }
            offlineSchema = schema
        }

        var config = GatewayConfiguration()
        config.http.host = host
        config.http.port = port
        config.client.socketPath = socketPath
        config.client.apiDirectories = simulate ? [] : apiDirs
        config.client.callTimeout = .milliseconds(Int(callTimeout * 1000))
        let gateway = Gateway(configuration: config, offlineSchema: offlineSchema, logger: logger)
        let bound: UInt16
        do {
            bound = try await gateway.start()
        } catch {
            logger.critical("cannot serve: \(error)")
            await simulator?.stop()
            throw ExitCode(1)
        }
        Self.printBanner(host: host, port: bound, simulated: simulate, socket: socketPath)
        await Self.waitForTerminationSignal()
        logger.info("shutting down")
        await gateway.shutdown()
        await simulator?.stop()
    }

    /// `HOST:PORT`, `[V6]:PORT` or `PORT`.
    static func parseListen(_ text: String) throws -> (String, UInt16) {
        if let port = UInt16(text) { return ("127.0.0.1", port) }
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()) else { throw ValidationError("--listen: expected [IPv6]:PORT") }
            return (host, port)
        }
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            throw ValidationError("--listen: expected HOST:PORT, got \(text)")
        }
        return (String(text[..<colon]), port)
    }

    static func printBanner(host: String, port: UInt16, simulated: Bool, socket: String) {
        let base = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        print("""
            VPPGateway listening on \(base)\(simulated ? "  (VPP simulator at \(socket))" : "  (VPP socket \(socket))")

              curl -s \(base)/v1/show_version
              curl -s \(base)/v1/sw_interface_dump
              curl -s -X POST \(base)/v1/sw_interface_set_flags -d '{"sw_if_index":1,"flags":["IF_STATUS_API_FLAG_ADMIN_UP"]}'
              curl -s -X POST \(base)/v1/cli_inband -d '{"cmd":"show interface"}'
              curl -N \(base)/v1/events/sw_interface_event
              curl -s \(base)/openapi.json | head -c 300

            Ctrl-C to stop.
            """)
        FileHandle.standardOutput.synchronizeFile()
    }

    /// Returns on SIGINT or SIGTERM.
    static func waitForTerminationSignal() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = SignalOnce(continuation)
            for sig in [SIGINT, SIGTERM] {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .main)
                source.setEventHandler { once.fire() }
                source.resume()
                once.keep(source)
            }
        }
    }
}

/// Resumes a continuation once, whichever signal comes first.
private final class SignalOnce: @unchecked Sendable {
    // Guarded by `lock`; the dispatch sources are kept alive here.
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Void, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init(_ c: CheckedContinuation<Void, Never>) { continuation = c }

    func keep(_ s: any DispatchSourceSignal) { lock.withLock { sources.append(s) } }

    func fire() {
        let c = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            defer { continuation = nil }
            return continuation
        }
        c?.resume()
    }
}
#endif
