import HTTPServer
import VPPSchema

/// Who may reach the gateway: bearer tokens with scopes, and the message policy.
public struct AccessConfiguration: Sendable {
    /// The tokens; nil serves without authentication (refused off loopback unless
    /// `insecureNoAuth`, see `ServeCommand`).
    public var tokens: TokenStore?
    /// Which messages are served at all.
    public var policy: MessagePolicy
    /// Which browser pages may call the gateway (CORS) and which host names it answers to.
    public var browser: BrowserAccess

    /// Open access with the default policy.
    public init(tokens: TokenStore? = nil, policy: MessagePolicy = MessagePolicy(), browser: BrowserAccess = BrowserAccess()) {
        self.tokens = tokens
        self.policy = policy
        self.browser = browser
    }
}

extension Gateway {
    /// The scope a route needs; nil for the probes and the index, which orchestrators and
    /// people must reach without a token.
    func requiredScope(_ route: Route, _ request: HTTPRequest) -> Scope? {
        switch route {
        case .index, .healthz, .readyz, .notFound: return nil
        case .metrics, .openAPI, .schemaList, .schemaItem: return .read
        case .decode, .encode: return .admin
        case .events: return .events
        case .message(let name):
            if MessagePolicy.dangerous.contains(name) { return .admin }
            if request.method == "GET" { return .read }
            if let kind = codec?.schema.message(name)?.kind, kind == .dump || kind == .getStream { return .read }
            return .write
        }
    }

    /// 401 without a valid token, 403 without the scope; the caller's name for logs.
    func authorize(_ route: Route, _ request: HTTPRequest) throws(Problem) -> String? {
        guard let tokens = configuration.access.tokens else { return nil }
        guard let scope = requiredScope(route, request) else { return nil }
        guard let token = bearerToken(route, request) else {
            var p = Problem(.unauthorized, "this gateway needs a bearer token (Authorization: Bearer …) with the \(scope.rawValue) scope")
            p.headers = [("WWW-Authenticate", "Bearer realm=\"vpp-gateway\"")]
            throw p
        }
        guard let entry = tokens.authenticate(token) else {
            var p = Problem(.unauthorized, "the bearer token is not valid")
            p.headers = [("WWW-Authenticate", "Bearer realm=\"vpp-gateway\", error=\"invalid_token\"")]
            throw p
        }
        guard entry.scopes.contains(scope) || entry.scopes.contains(.admin) else {
            throw Problem(.forbidden, "token \(entry.name) lacks the \(scope.rawValue) scope for \(request.method) \(request.path)")
        }
        return entry.name
    }

    /// The token of `Authorization: Bearer …`, or for event streams of `?access_token=`
    /// (RFC 6750 §2.3): a browser's EventSource cannot set headers.
    private func bearerToken(_ route: Route, _ request: HTTPRequest) -> String? {
        if let header = request.header("authorization") {
            guard header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
            return String(header.dropFirst(7)).trimmingSpaces()
        }
        if case .events = route, let token = request.queryValue(Self.accessTokenParameter), !token.isEmpty { return token }
        return nil
    }

    /// The query parameter that may carry an event stream's token.
    static let accessTokenParameter = "access_token"

    /// 403 when the message policy refuses `message`.
    func checkPolicy(_ message: MessageDef) throws(Problem) {
        if let why = policyRefusal(message) { throw Problem(.forbidden, why) }
    }

    /// Why the message policy refuses `message` (nil when it serves it).
    func policyRefusal(_ message: MessageDef) -> String? {
        let isRead = message.kind == .dump || message.kind == .getStream || message.kind == .event
            || CallPolicy.isReadOnly(message.name)
        return configuration.access.policy.refusal(message.name, isRead: isRead)
    }
}
