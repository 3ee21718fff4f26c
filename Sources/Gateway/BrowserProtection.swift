import HTTPServer

/// Which browser pages may use the gateway, and which host names it answers to.
///
/// A gateway that can reconfigure a data plane is a target for any web page its operator
/// opens: a page may `POST` to `http://127.0.0.1:8080/v1/…` as a "simple" request (no
/// preflight; `text/plain` bodies are read as JSON like any other) and a DNS-rebinding page
/// may even read the answers. Browsers say where a request comes from (`Sec-Fetch-Site`,
/// `Origin`) and where it goes (`Host`); curl and programmatic clients send neither of the
/// first two, so checking them costs such clients nothing.
public struct BrowserAccess: Sendable {
    /// Origins (`scheme://host[:port]`) whose pages may call the gateway: they get CORS
    /// headers, preflights are answered, and the cross-origin check trusts them. `*` trusts
    /// every origin (and so turns the cross-origin check off). Empty: same-origin only.
    public var corsOrigins: [String]
    /// Host names requests may be addressed to; nil accepts any. IP literals, `localhost` and
    /// `*.localhost` are always accepted. `serve` sets this for a loopback listener without
    /// tokens, where a DNS-rebinding page would otherwise be "same-origin" with the gateway.
    public var allowedHostNames: [String]?

    /// Same-origin only, any host name.
    public init(corsOrigins: [String] = [], allowedHostNames: [String]? = nil) {
        self.corsOrigins = corsOrigins
        self.allowedHostNames = allowedHostNames
    }

    /// Why `origin` cannot be a `cors-origin` value, or nil when it can. An origin is what a
    /// browser sends in `Origin`: a scheme, a host and perhaps a port, nothing after them.
    public static func invalidOriginReason(_ origin: String) -> String? {
        if origin == "*" { return nil }
        guard let (scheme, authority) = parts(of: origin) else { return "\"\(origin)\" is not an origin (scheme://host[:port])" }
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) else {
            return "\"\(origin)\" has no valid scheme"
        }
        guard !authority.isEmpty, !authority.contains(where: { "/?#@ ".contains($0) }) else {
            return "\"\(origin)\" is not an origin: only scheme://host[:port], no path, query or user"
        }
        return nil
    }

    /// An origin's scheme and what follows `://`; nil without `://` (`null`, a bare name).
    static func parts(of origin: String) -> (scheme: Substring, authority: Substring)? {
        guard let r = origin.range(of: "://") else { return nil }
        return (origin[..<r.lowerBound], origin[r.upperBound...])
    }
}

/// The checks and headers of ``BrowserAccess`` for one gateway.
struct BrowserGuard: Sendable {
    /// Trusted origins, lower-cased, without a trailing `/`.
    private let origins: Set<String>
    private let anyOrigin: Bool
    private let hostNames: Set<String>?

    /// Headers a page's script may read besides the CORS-safelisted ones.
    static let exposedHeaders = "X-Request-Id, Retry-After, WWW-Authenticate, Allow, X-VPP-Msg-Id"
    /// Request headers a page may send when its preflight does not list them.
    static let allowedHeaders = "Authorization, Content-Type, Accept, Last-Event-ID, X-Request-Id"

    init(_ access: BrowserAccess) {
        let normalised = access.corsOrigins.map { Self.normalise($0) }
        anyOrigin = normalised.contains("*")
        origins = Set(normalised)
        hostNames = access.allowedHostNames.map { Set($0.map { $0.lowercased() }) }
    }

    private static func normalise(_ origin: String) -> String {
        var o = origin.lowercased()
        while o.hasSuffix("/") { o.removeLast() }
        return o
    }

    private func trusts(_ origin: String) -> Bool {
        anyOrigin || origins.contains(Self.normalise(origin))
    }

    /// The refusal of a request a browser page should not make, or nil.
    ///
    /// Host: with ``BrowserAccess/allowedHostNames`` set, a request addressed to another name
    /// is refused (DNS rebinding). Origin: a request that changes state (any method but GET,
    /// HEAD and OPTIONS) from another origin is refused unless that origin is trusted — by
    /// `Sec-Fetch-Site` where the browser sends it, else by comparing `Origin` with `Host`
    /// (the algorithm of Go's `net/http.CrossOriginProtection`).
    func refusal(_ request: HTTPRequest) -> Problem? {
        if let hostNames, let host = request.header("host"), !Self.isAcceptedHost(host, hostNames) {
            return Problem(.hostNotAllowed, "this gateway answers only requests addressed to a loopback address or localhost, not \"\(host.prefix(100))\" "
                           + "(DNS-rebinding protection of a gateway without tokens; set public-url to add a name)")
        }
        switch request.method {
        case "GET", "HEAD", "OPTIONS": return nil
        default: break
        }
        let origin = request.header("origin")
        switch request.header("sec-fetch-site") {
        case "same-origin", "none":
            return nil
        case .some:
            if let origin, trusts(origin) { return nil }
            return crossOrigin(origin)
        case nil:
            guard let origin else { return nil }
            if let host = request.header("host"), Self.authority(of: origin) == host.lowercased() { return nil }
            if trusts(origin) { return nil }
            return crossOrigin(origin)
        }
    }

    private func crossOrigin(_ origin: String?) -> Problem {
        Problem(.crossOriginRefused, "\(Self.describe(origin)) may not call this gateway: a page of another origin may only make requests that change nothing "
                + "unless its origin is a cors-origin setting")
    }

    /// The answer to a CORS preflight (`OPTIONS` with `Origin` and
    /// `Access-Control-Request-Method`), or nil when `request` is not one; 403 for an origin
    /// that is not trusted, so the gateway's log says why the browser gave up.
    func preflight(_ request: HTTPRequest) throws(Problem) -> HTTPResponse? {
        guard request.method == "OPTIONS", let origin = request.header("origin"),
              request.header("access-control-request-method") != nil else { return nil }
        guard trusts(origin) else {
            throw Problem(.crossOriginRefused, "\(Self.describe(origin)) is not a cors-origin of this gateway")
        }
        // Access-Control-Allow-Origin is added with every answer's CORS headers (`decorate`).
        return HTTPResponse(status: 204, headers: [
            ("Access-Control-Allow-Methods", "GET, HEAD, POST"),
            ("Access-Control-Allow-Headers", request.header("access-control-request-headers").flatMap(Self.headerList) ?? Self.allowedHeaders),
            ("Access-Control-Max-Age", "600"),
        ])
    }

    /// CORS headers for the answer to a request from a trusted origin (none otherwise), and
    /// `Vary: Origin` whenever the answer depends on it.
    func decorate(_ response: inout HTTPResponse, for request: HTTPRequest) {
        guard !origins.isEmpty else { return }
        guard let origin = request.header("origin"), trusts(origin) else {
            if !anyOrigin { response.headers.append(("Vary", "Origin")) }
            return
        }
        // Tokens travel in Authorization, never in cookies: no Allow-Credentials, and `*` can
        // stay `*`.
        if anyOrigin {
            response.headers.append(("Access-Control-Allow-Origin", "*"))
        } else {
            response.headers += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
        }
        response.headers.append(("Access-Control-Expose-Headers", Self.exposedHeaders))
    }

    /// How a refusal names the page: its origin, or a generic phrase when it hid it.
    private static func describe(_ origin: String?) -> String {
        origin.map { "origin \"\($0.prefix(100))\"" } ?? "a page of another site"
    }

    /// `host[:port]` of an origin, lower-cased (nil for `null` and other non-URLs).
    private static func authority(of origin: String) -> String? {
        BrowserAccess.parts(of: origin)?.authority.lowercased()
    }

    /// The requested header names, if they are a plain comma-separated token list.
    private static func headerList(_ text: String) -> String? {
        let ok = !text.isEmpty && text.utf8.count <= 1024 && text.utf8.allSatisfy { b in
            (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) || (0x30...0x39).contains(b) || Array("-_, ".utf8).contains(b)
        }
        return ok ? text : nil
    }

    /// Whether `host` (a `Host` header) names an IP literal, `localhost` or an allowed name.
    static func isAcceptedHost(_ host: String, _ names: Set<String>) -> Bool {
        var name = Substring(host.lowercased())
        if name.hasPrefix("[") { return name.contains("]") }  // an IPv6 literal
        if let colon = name.lastIndex(of: ":") { name = name[..<colon] }
        if name == "localhost" || name.hasSuffix(".localhost") || names.contains(String(name)) { return true }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
    }
}
