import Gateway
import HTTPServer
import Logging
import Foundation
import VPPJSON

/// Where `serve` takes each setting from, in order of precedence: command-line flags, then
/// `VPP_GATEWAY_<NAME>` environment variables (the flag's name in upper case with `_`), then
/// the config file (a JSON object keyed by flag names), then the built-in default.
///
/// One mechanism for every setting, so `--print-config` can show each effective value and
/// where it came from — the first thing an operator needs when a deployment misbehaves.
struct SettingLayers {
    /// Flags given explicitly on the command line, by name.
    let flags: [String: [String]]
    /// The process environment.
    let environment: [String: String]
    /// The config file's members, and its path.
    let file: JSONObject
    let filePath: String?
    /// Every setting read, with its effective value and source, for `--print-config`.
    private(set) var report: [(name: String, value: JSONValue, source: String)] = []

    init(flags: [String: [String]], environment: [String: String]) throws {
        self.flags = flags
        self.environment = environment
        let path = flags["config"]?.last ?? environment["VPP_GATEWAY_CONFIG"]
        filePath = path
        guard let path else {
            file = JSONObject()
            return
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SettingsError("cannot read the config file \(path)")
        }
        do {
            guard case .object(let o) = try JSONParser.parse(Array(data)) else {
                throw SettingsError("\(path): the config file must hold a JSON object of settings")
            }
            file = o
        } catch let e as JSONParseError {
            throw SettingsError("\(path): \(e)")
        }
        let known = Set(ServeSettingNames.all)
        if let unknown = file.keys.first(where: { !known.contains($0) }) {
            throw SettingsError("\(path): unknown setting \"\(unknown)\"; settings are \(ServeSettingNames.all.joined(separator: ", "))")
        }
    }

    static func environmentName(_ name: String) -> String {
        "VPP_GATEWAY_" + name.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    /// The raw values of a setting and their source, or nil when nothing sets it.
    private func lookup(_ name: String) throws -> ([String], String)? {
        if let v = flags[name] { return (v, "flag --\(name)") }
        let env = Self.environmentName(name)
        if let v = environment[env] {
            // Lists in the environment are comma-separated.
            return (v.split(separator: ",", omittingEmptySubsequences: true).map(String.init), "environment \(env)")
        }
        if let v = file[name] {
            let source = "config file \(filePath ?? "")"
            switch v {
            case .string(let s): return ([s], source)
            case .number(let n): return ([n.text], source)
            case .bool(let b): return ([b ? "true" : "false"], source)
            case .array(let items):
                return (try items.map { item in
                    switch item {
                    case .string(let s): return s
                    case .number(let n): return n.text
                    default: throw SettingsError("\(source): \(name) must be a list of strings")
                    }
                }, source)
            case .null: return nil
            case .object: throw SettingsError("\(source): \(name) must not be an object")
            }
        }
        return nil
    }

    mutating func string(_ name: String, default d: String) throws -> String {
        let (v, source) = try lookup(name).map { ($0.0.last ?? d, $0.1) } ?? (d, "default")
        report.append((name, .string(v), source))
        return v
    }

    mutating func optionalString(_ name: String) throws -> String? {
        let found = try lookup(name)
        let v = found?.0.last
        report.append((name, v.map { .string($0) } ?? .null, found?.1 ?? "default"))
        return v
    }

    mutating func list(_ name: String) throws -> [String] {
        let found = try lookup(name)
        let v = found?.0 ?? []
        report.append((name, .array(v.map { .string($0) }), found?.1 ?? "default"))
        return v
    }

    mutating func int(_ name: String, default d: Int) throws -> Int {
        guard let (v, source) = try lookup(name), let text = v.last else {
            report.append((name, .number(JSONNumber(integer: d)), "default"))
            return d
        }
        guard let n = Int(text) else { throw SettingsError("\(source): \(name) must be an integer, got \"\(text)\"") }
        report.append((name, .number(JSONNumber(integer: n)), source))
        return n
    }

    mutating func double(_ name: String, default d: Double) throws -> Double {
        guard let (v, source) = try lookup(name), let text = v.last else {
            report.append((name, .number(JSONNumber(text: pythonRepr(d))), "default"))
            return d
        }
        guard let n = Double(text), n.isFinite, n >= 0 else { throw SettingsError("\(source): \(name) must be a non-negative number, got \"\(text)\"") }
        report.append((name, .number(JSONNumber(text: pythonRepr(n))), source))
        return n
    }

    mutating func bool(_ name: String, default d: Bool) throws -> Bool {
        guard let (v, source) = try lookup(name), let text = v.last else {
            report.append((name, .bool(d), "default"))
            return d
        }
        let b: Bool
        switch text.lowercased() {
        case "true", "1", "yes", "on": b = true
        case "false", "0", "no", "off": b = false
        default: throw SettingsError("\(source): \(name) must be true or false, got \"\(text)\"")
        }
        report.append((name, .bool(b), source))
        return b
    }

    /// The effective configuration as JSON: `{"setting": {"value": …, "source": "…"}, …}`.
    var reportJSON: String {
        var o = JSONObject()
        for r in report {
            o.append(r.name, .object(JSONObject([("value", r.value), ("source", .string(r.source))])))
        }
        return JSONValue.object(o).jsonText
    }
}

/// A settings error, printed as is.
struct SettingsError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Every setting `serve` reads (the config file may hold only these).
enum ServeSettingNames {
    static let all = [
        "listen", "socket", "api-dir", "simulate", "sim-interfaces", "sim-event-rate", "log-level", "log-format",
        "call-timeout", "request-timeout", "tokens-file", "insecure-no-auth", "allow", "deny", "read-only",
        "cors-origin", "tls-cert", "tls-key", "tls-client-ca", "max-body-bytes", "max-header-bytes", "max-connections",
        "max-connections-per-ip", "idle-timeout", "max-sse", "max-sse-per-client", "http-threads", "sse-writer-threads", "public-url", "shutdown-grace",
    ]
}

/// `serve`'s settings, resolved through the layers.
struct ServeSettings {
    let listen: String
    let socket: String
    let apiDirectories: [String]
    let simulate: Bool
    let simulatorInterfaces: Int
    let simulatorEventRate: Double
    let logLevel: String
    let logFormat: String
    let callTimeout: Double
    let requestTimeout: Double
    let tokensFile: String?
    let insecureNoAuth: Bool
    let allow: [String]
    let deny: [String]
    let readOnly: Bool
    let corsOrigins: [String]
    let tlsCert: String?
    let tlsKey: String?
    let tlsClientCA: String?
    let maxBodyBytes: Int
    let maxHeaderBytes: Int
    let maxConnections: Int
    let maxConnectionsPerIP: Int
    let idleTimeout: Int
    let maxSSE: Int
    let maxSSEPerClient: Int
    let httpThreads: Int
    let sseWriterThreads: Int
    let publicURL: String?
    let shutdownGrace: Double

    init(_ l: inout SettingLayers) throws {
        listen = try l.string("listen", default: "127.0.0.1:8080")
        socket = try l.string("socket", default: "/run/vpp/api.sock")
        var dirs = try l.list("api-dir")
        if dirs.isEmpty, FileManager.default.fileExists(atPath: "/usr/share/vpp/api") { dirs = ["/usr/share/vpp/api"] }
        apiDirectories = dirs
        simulate = try l.bool("simulate", default: false)
        simulatorInterfaces = try l.int("sim-interfaces", default: 3)
        simulatorEventRate = try l.double("sim-event-rate", default: 0)
        logLevel = try l.string("log-level", default: "info")
        logFormat = try l.string("log-format", default: "plain")
        callTimeout = try l.double("call-timeout", default: 10)
        requestTimeout = try l.double("request-timeout", default: 0)
        tokensFile = try l.optionalString("tokens-file")
        insecureNoAuth = try l.bool("insecure-no-auth", default: false)
        allow = try l.list("allow")
        deny = try l.list("deny")
        readOnly = try l.bool("read-only", default: false)
        corsOrigins = try l.list("cors-origin")
        tlsCert = try l.optionalString("tls-cert")
        tlsKey = try l.optionalString("tls-key")
        tlsClientCA = try l.optionalString("tls-client-ca")
        maxBodyBytes = try l.int("max-body-bytes", default: 1 << 20)
        maxHeaderBytes = try l.int("max-header-bytes", default: 16 * 1024)
        maxConnections = try l.int("max-connections", default: 10_000)
        maxConnectionsPerIP = try l.int("max-connections-per-ip", default: 0)
        idleTimeout = try l.int("idle-timeout", default: 60)
        maxSSE = try l.int("max-sse", default: 20_000)
        maxSSEPerClient = try l.int("max-sse-per-client", default: 64)
        httpThreads = try l.int("http-threads", default: 1)
        sseWriterThreads = try l.int("sse-writer-threads", default: 1)
        publicURL = try l.optionalString("public-url")
        shutdownGrace = try l.double("shutdown-grace", default: 10)
        if let bad = corsOrigins.lazy.compactMap(BrowserAccess.invalidOriginReason).first { throw SettingsError("cors-origin: \(bad)") }
        guard (1...1024).contains(httpThreads) else { throw SettingsError("http-threads must be between 1 and 1024") }
        guard (0...64).contains(sseWriterThreads) else { throw SettingsError("sse-writer-threads must be between 0 and 64") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw SettingsError("log-level must be one of trace, debug, info, notice, warning, error, critical") }
        guard ["plain", "json"].contains(logFormat) else { throw SettingsError("log-format must be plain or json") }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw SettingsError("tls-cert and tls-key go together") }
        guard tlsClientCA == nil || tlsCert != nil else { throw SettingsError("tls-client-ca needs tls-cert and tls-key") }
    }

    /// The gateway configuration, reading key material and tokens from disk.
    func gatewayConfiguration(logger: Logger) throws -> GatewayConfiguration {
        var c = GatewayConfiguration()
        let (host, port) = try ServeCommand.parseListen(listen)
        c.http.host = host
        c.http.port = port
        c.http.maxBodySize = maxBodyBytes
        c.http.connectionMemoryLimit = maxHeaderBytes
        c.http.connectionLimit = maxConnections
        c.http.perIPConnectionLimit = maxConnectionsPerIP
        c.http.connectionTimeout = idleTimeout
        // One thread is libmicrohttpd's internal polling thread; more are its thread pool.
        c.http.threadPoolSize = httpThreads > 1 ? httpThreads : 0
        c.http.streamWriterThreads = sseWriterThreads
        if let cert = tlsCert, let key = tlsKey {
            func read(_ p: String) throws -> String {
                guard let d = FileManager.default.contents(atPath: p) else { throw SettingsError("cannot read \(p)") }
                return String(decoding: d, as: UTF8.self)
            }
            c.http.tls = TLSConfiguration(certificatePEM: try read(cert), privateKeyPEM: try read(key),
                                          clientCAPEM: try tlsClientCA.map(read))
        }
        c.client.socketPath = socket
        c.client.apiDirectories = apiDirectories
        c.client.callTimeout = .milliseconds(Int(callTimeout * 1000))
        c.requestTimeout = requestTimeout > 0 ? .milliseconds(Int(requestTimeout * 1000)) : nil
        c.events.maxSubscribers = maxSSE
        c.sseMaxPerClient = maxSSEPerClient
        c.publicURL = publicURL
        c.access.policy = MessagePolicy(allow: allow, deny: deny, readOnly: readOnly)
        c.access.browser.corsOrigins = corsOrigins
        if let tokensFile {
            c.access.tokens = try TokenStore(path: tokensFile)
            logger.info("bearer tokens loaded", metadata: ["file": "\(tokensFile)", "tokens": "\(c.access.tokens?.count ?? 0)"])
        } else if !Self.isLoopback(host) {
            guard insecureNoAuth else {
                throw SettingsError("refusing to serve \(host) without --tokens-file: anyone who can reach it could reconfigure VPP. Pass --insecure-no-auth to do it anyway.")
            }
            logger.warning("serving a non-loopback address WITHOUT authentication (--insecure-no-auth)", metadata: ["listen": "\(listen)"])
        } else {
            // Without tokens a loopback gateway's only guard is that it is not reachable from
            // elsewhere; a DNS-rebinding page reaches it under its own name, so only loopback
            // names (and the public URL's) are answered.
            c.access.browser.allowedHostNames = publicURL.flatMap { URLComponents(string: $0)?.host }.map { [$0] } ?? []
        }
        return c
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
