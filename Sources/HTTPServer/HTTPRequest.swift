/// One HTTP request as the handler sees it: fully received, decoded, immutable.
///
/// It is a plain value so handlers can pass it across tasks freely and tests can
/// build one without a server.
public struct HTTPRequest: Sendable {
    /// The method token as sent (`GET`, `POST`, …); HTTP methods are case-sensitive.
    public var method: String
    /// The percent-decoded path without the query (`/v1/show_version`).
    public var path: String
    /// The request target exactly as sent (path and query, still encoded), for
    /// logs and for handlers that need the raw form.
    public var target: String
    /// Query parameters, percent-decoded (`+` is a space), in the order sent;
    /// repeats are kept (`?name=a&name=b`), a bare `?flag` has an empty value.
    public var query: [(name: String, value: String)]
    /// Request headers in the order sent, names lowercased so comparisons need
    /// no case folding; repeated headers are separate entries.
    public var headers: [(name: String, value: String)]
    /// The request body (at most the configured `maxBodySize` bytes).
    public var body: [UInt8]
    /// The peer's IP address (IPv4-mapped IPv6 addresses are shown as IPv4).
    public var remoteAddress: String
    /// The peer's TCP port.
    public var remotePort: UInt16
    /// The protocol version from the request line, e.g. `HTTP/1.1`.
    public var version: String
    /// The subject DN (RFC 4514) of the verified TLS client certificate when the
    /// server requires mutual TLS; `nil` otherwise. Lets the gateway authorise by
    /// certificate identity.
    public var clientCertificateSubject: String?

    /// Creates a request; the server fills every field, tests and other modules
    /// can build one directly.
    public init(
        method: String,
        path: String,
        target: String? = nil,
        query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        remoteAddress: String = "127.0.0.1",
        remotePort: UInt16 = 0,
        version: String = "HTTP/1.1",
        clientCertificateSubject: String? = nil
    ) {
        self.method = method
        self.path = path
        self.target = target ?? path
        self.query = query
        self.headers = headers.map { (name: asciiLowercased($0.name), value: $0.value) }
        self.body = body
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
        self.version = version
        self.clientCertificateSubject = clientCertificateSubject
    }

    /// The first value of header `name` (case-insensitive), or `nil`; the common
    /// lookup for single-valued headers such as `Accept` or `Last-Event-ID`.
    public func header(_ name: String) -> String? {
        let wanted = asciiLowercased(name)
        return headers.first { $0.name == wanted }?.value
    }

    /// Every value of header `name` (case-insensitive), in order; for headers
    /// that may repeat.
    public func headerValues(_ name: String) -> [String] {
        let wanted = asciiLowercased(name)
        return headers.filter { $0.name == wanted }.map(\.value)
    }

    /// The first value of query parameter `name` (exact match), or `nil`.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }
}

/// Lowercases ASCII letters only: header names are ASCII tokens, and this avoids
/// Unicode case mapping on the hot path.
func asciiLowercased(_ string: String) -> String {
    var utf8 = Array(string.utf8)
    var changed = false
    for index in utf8.indices where utf8[index] >= 0x41 && utf8[index] <= 0x5A {
        utf8[index] |= 0x20
        changed = true
    }
    return changed ? String(decoding: utf8, as: UTF8.self) : string
}
