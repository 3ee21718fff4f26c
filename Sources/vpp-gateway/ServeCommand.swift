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

    @Option(help: "Address and port to listen on (HOST:PORT, [IPv6]:PORT, or a port). Default 127.0.0.1:8080.")
    var listen: String?
    @Option(help: "VPP's API socket. Default /run/vpp/api.sock.")
    var socket: String?
    @Option(name: .customLong("api-dir"), help: ArgumentHelp(
        ".api.json folders merged with the schema VPP serves (get_api_json). Repeatable. Default: /usr/share/vpp/api when present.",
        valueName: "DIR"))
    var apiDirectories: [String] = []
    @Flag(help: "Start the built-in VPP simulator on a private socket and serve it.")
    var simulate = false
    @Option(name: .customLong("sim-interfaces"), help: "Loopback interfaces the simulator starts with (default 3).")
    var simulatorInterfaces: Int?
    @Option(name: .customLong("sim-event-rate"), help: "Link toggles per second the simulator makes (sw_interface_event); default 0.")
    var simulatorEventRate: Double?
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical (default info).")
    var logLevel: String?
    @Option(help: "Log format: plain or json (default plain).")
    var logFormat: String?
    @Option(help: "Seconds to wait for VPP's answer to a call (default 10).")
    var callTimeout: Double?
    @Option(help: "Seconds a non-streaming request may take before a 504 (default 0: only the call timeout).")
    var requestTimeout: Double?
    @Option(help: "Bearer tokens file (`vpp-gateway token` makes entries); re-read on SIGHUP.")
    var tokensFile: String?
    @Flag(help: "Serve without tokens on a non-loopback address (not recommended).")
    var insecureNoAuth = false
    @Option(help: "Only serve messages matching this glob (repeatable). cli_inband must be allowed by exact name.")
    var allow: [String] = []
    @Option(help: "Never serve messages matching this glob (repeatable; wins over --allow).")
    var deny: [String] = []
    @Option(help: "An origin (scheme://host[:port]) whose web pages may call the gateway: CORS (repeatable; * for any).")
    var corsOrigin: [String] = []
    @Flag(help: "Serve only reads: dumps, show_* and *_get* requests and events.")
    var readOnly = false
    @Option(help: "TLS certificate (PEM) — serve HTTPS.")
    var tlsCert: String?
    @Option(help: "TLS private key (PEM).")
    var tlsKey: String?
    @Option(help: "CA (PEM) that client certificates must chain to: mutual TLS.")
    var tlsClientCA: String?
    @Option(help: "Largest request body in bytes (default 1048576).")
    var maxBodyBytes: Int?
    @Option(help: "Memory per connection for headers and buffers, bytes (default 16384); larger headers get 431.")
    var maxHeaderBytes: Int?
    @Option(help: "Most simultaneous connections (default 10000).")
    var maxConnections: Int?
    @Option(help: "Most simultaneous connections from one IP address (default 0: unlimited).")
    var maxConnectionsPerIp: Int?
    @Option(help: "Seconds an idle or slow connection is kept (default 60).")
    var idleTimeout: Int?
    @Option(help: "Most SSE subscribers in all (default 20000).")
    var maxSse: Int?
    @Option(help: "Most SSE streams per client address (default 64).")
    var maxSsePerClient: Int?
    @Option(help: "Threads that poll the HTTP connections (default 1); more serve more requests per second where cores are free.")
    var httpThreads: Int?
    @Option(help: "Threads that send SSE frames straight to the sockets (default 1; 0: libmicrohttpd's polling thread sends them; not used with TLS).")
    var sseWriterThreads: Int?
    @Option(help: "The public base URL for the OpenAPI document's servers entry.")
    var publicUrl: String?
    @Option(help: "Seconds to finish in-flight work on SIGTERM (default 10).")
    var shutdownGrace: Double?
    @Option(help: "A JSON config file of these settings (also VPP_GATEWAY_CONFIG). Flags win over VPP_GATEWAY_* environment variables, which win over the file.")
    var config: String?
    @Flag(help: "Print the effective configuration, with where each value came from, and exit.")
    var printConfig = false

    /// The flags given explicitly, by setting name.
    var explicitFlags: [String: [String]] {
        var f: [String: [String]] = [:]
        func put(_ n: String, _ v: (any CustomStringConvertible)?) { if let v { f[n] = [v.description] } }
        put("listen", listen); put("socket", socket); put("sim-interfaces", simulatorInterfaces)
        put("sim-event-rate", simulatorEventRate); put("log-level", logLevel); put("log-format", logFormat)
        put("call-timeout", callTimeout); put("request-timeout", requestTimeout); put("tokens-file", tokensFile)
        put("tls-cert", tlsCert); put("tls-key", tlsKey); put("tls-client-ca", tlsClientCA)
        put("max-body-bytes", maxBodyBytes); put("max-header-bytes", maxHeaderBytes); put("max-connections", maxConnections)
        put("max-connections-per-ip", maxConnectionsPerIp); put("idle-timeout", idleTimeout); put("max-sse", maxSse)
        put("max-sse-per-client", maxSsePerClient); put("http-threads", httpThreads); put("sse-writer-threads", sseWriterThreads); put("public-url", publicUrl); put("shutdown-grace", shutdownGrace)
        put("config", config)
        if simulate { f["simulate"] = ["true"] }
        if insecureNoAuth { f["insecure-no-auth"] = ["true"] }
        if readOnly { f["read-only"] = ["true"] }
        if !apiDirectories.isEmpty { f["api-dir"] = apiDirectories }
        if !allow.isEmpty { f["allow"] = allow }
        if !corsOrigin.isEmpty { f["cors-origin"] = corsOrigin }
        if !deny.isEmpty { f["deny"] = deny }
        return f
    }

    func run() async throws {
        var layers: SettingLayers
        let settings: ServeSettings
        do {
            layers = try SettingLayers(flags: explicitFlags, environment: ProcessInfo.processInfo.environment)
            settings = try ServeSettings(&layers)
        } catch {
            StandardError.print("vpp-gateway: \(error)")
            throw ExitCode(2)
        }
        if printConfig {
            print(layers.reportJSON)
            return
        }
        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        let json = settings.logFormat == "json"
        LoggingSystem.bootstrap { label in
            GatewayLogHandler(label: label, level: level, format: json ? .json : .text)
        }
        // Lines are written by a background thread: let the last ones out before exiting.
        defer { LogOutput.standardError.flush() }
        let logger = Logger(label: "vpp-gateway")
        var config: GatewayConfiguration
        do {
            config = try settings.gatewayConfiguration(logger: logger)
        } catch {
            logger.critical("\(error)")
            throw ExitCode(2)
        }
        var simulator: VPPSimulator?
        var offlineSchema: Schema?
        if settings.simulate {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("vpp-gateway-\(getpid())")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            config.client.socketPath = dir.appendingPathComponent("api.sock").path
            config.client.apiDirectories = []
            let sim = try VPPSimulator(configuration: SimulatorConfiguration(
                socketPath: config.client.socketPath, apiDirectories: settings.apiDirectories,
                interfaces: settings.simulatorInterfaces), logger: Logger(label: "vpp-simulator"))
            try sim.start()
            if settings.simulatorEventRate > 0 { sim.toggleLinks(ratePerSecond: settings.simulatorEventRate) }
            simulator = sim
            offlineSchema = sim.schema
        } else if !config.client.apiDirectories.isEmpty {
            var loader = SchemaLoader()
            for d in config.client.apiDirectories { loader.add(path: d) }
            let (schema, problems) = loader.buildAllowingProblems()
            for p in problems.prefix(20) { logger.warning("schema: \(p)") }
            offlineSchema = schema
        }
        let gateway = Gateway(configuration: config, offlineSchema: offlineSchema, logger: logger)
        let bound: UInt16
        do {
            bound = try await gateway.start()
        } catch {
            logger.critical("cannot serve: \(error)")
            await simulator?.stop()
            throw ExitCode(1)
        }
        Self.printBanner(host: config.http.host, port: bound, tls: config.http.tls != nil,
                         simulated: settings.simulate, socket: config.client.socketPath, access: config.access)
        await Self.waitForTerminationSignal(onReload: {
            do { try gateway.reloadAccess() } catch { logger.error("token reload failed, old tokens stay: \(error)") }
        })
        logger.notice("shutting down")
        await gateway.shutdown(gracePeriod: .milliseconds(Int(settings.shutdownGrace * 1000)))
        await simulator?.stop()
        logger.notice("stopped")
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
        guard let colon = text.lastIndex(of: ":") else {
            throw ValidationError("--listen: expected HOST:PORT, got \(text)")
        }
        guard let port = UInt16(text[text.index(after: colon)...]) else {
            throw ValidationError("--listen: the port of \(text) must be a number from 0 to 65535")
        }
        return (String(text[..<colon]), port)
    }

    /// The start-up examples: only calls the message policy lets through, and with a bearer
    /// token when tokens are required, so that every printed command works as printed.
    static func printBanner(host: String, port: UInt16, tls: Bool, simulated: Bool, socket: String,
                            access: AccessConfiguration) {
        let base = "\(tls ? "https" : "http")://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        let auth = access.tokens == nil ? "" : " -H \"Authorization: Bearer $TOKEN\""
        func allowed(_ name: String, isRead: Bool) -> Bool { access.policy.refusal(name, isRead: isRead) == nil }
        var lines: [String] = []
        if allowed("show_version", isRead: true) { lines.append("curl -s\(auth) \(base)/v1/show_version") }
        if allowed("sw_interface_dump", isRead: true) { lines.append("curl -s\(auth) \(base)/v1/sw_interface_dump") }
        if allowed("sw_interface_set_flags", isRead: false) {
            lines.append("curl -s\(auth) -X POST \(base)/v1/sw_interface_set_flags -d '{\"sw_if_index\":1,\"flags\":[\"IF_STATUS_API_FLAG_ADMIN_UP\"]}'")
        }
        if allowed("cli_inband", isRead: false) {
            lines.append("curl -s\(auth) -X POST \(base)/v1/cli_inband -d '{\"cmd\":\"show interface\"}'")
        }
        if allowed("sw_interface_event", isRead: true) { lines.append("curl -N\(auth) \(base)/v1/events/sw_interface_event") }
        lines.append("curl -s\(auth) \(base)/openapi.json | head -c 300")
        let note = access.tokens == nil ? "" : "\n  (TOKEN: a bearer token of the tokens file; `vpp-gateway token` makes one)\n"
        // Written straight to the descriptor: `print` goes through stdio, which holds a
        // pipe's output (docker logs, journald, `| tee`) in its buffer until exit.
        let banner = """
            VPPGateway listening on \(base)\(simulated ? "  (VPP simulator at \(socket))" : "  (VPP socket \(socket))")

            \(lines.map { "  " + $0 }.joined(separator: "\n"))
            \(note)
            Ctrl-C to stop.

            """
        FileHandle.standardOutput.write(Data(banner.utf8))
    }

    /// Returns on SIGINT or SIGTERM; runs `onReload` on each SIGHUP.
    static func waitForTerminationSignal(onReload: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = SignalOnce(continuation)
            for sig in [SIGINT, SIGTERM, SIGHUP] {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                source.setEventHandler { if sig == SIGHUP { onReload() } else { once.fire() } }
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
