/// The answer a handler gives: status, headers and a body that is either bytes
/// or a stream. A value, so a handler can build it anywhere and return it.
public struct HTTPResponse: Sendable {
    /// The status code (100–999; anything else is replaced by 500).
    public var status: Int
    /// Response headers in order. `Content-Length` and `Transfer-Encoding` are
    /// ignored: the server derives them from the body (bytes get a length,
    /// streams are chunked), which is what keeps keep-alive correct.
    public var headers: [(name: String, value: String)]
    /// The body.
    public var body: HTTPBody

    /// Creates a response; an empty 200 by default.
    public init(status: Int = 200, headers: [(name: String, value: String)] = [], body: HTTPBody = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response with a UTF-8 text body and the given content type, for the
    /// common case of a JSON or plain-text answer.
    public init(status: Int = 200, contentType: String, body: String, headers: [(name: String, value: String)] = []) {
        self.status = status
        self.headers = [(name: "Content-Type", value: contentType)] + headers
        self.body = .bytes(Array(body.utf8))
    }

    /// An RFC 9457 `application/problem+json` response, the error form every
    /// gateway error uses, so the server's own errors look like the gateway's.
    ///
    /// - Parameters:
    ///   - status: the HTTP status, repeated in the body.
    ///   - type: the problem type slug, appended to
    ///     `https://vpp-gateway.dev/problems/` unless it is already a URI.
    ///   - title: a short, stable summary of the problem type.
    ///   - detail: what happened this time.
    public static func problem(status: Int, type: String, title: String, detail: String? = nil) -> HTTPResponse {
        let uri = type.contains(":") ? type : problemTypeBase + type
        var json = "{\"type\":" + jsonQuoted(uri) + ",\"title\":" + jsonQuoted(title) + ",\"status\":\(status)"
        if let detail { json += ",\"detail\":" + jsonQuoted(detail) }
        json += "}"
        return HTTPResponse(status: status, contentType: "application/problem+json", body: json)
    }

    /// The prefix of every problem `type` URI the gateway emits.
    public static let problemTypeBase = "https://vpp-gateway.dev/problems/"
}

/// A response body: all bytes at once, or a stream produced while it is sent.
public enum HTTPBody: Sendable {
    /// A complete body; sent with `Content-Length`.
    case bytes([UInt8])
    /// A body produced incrementally (JSON-array dumps, NDJSON, Server-Sent
    /// Events); sent with chunked encoding under HTTP/1.1.
    case stream(HTTPStreamSource)
}

/// Handles one request. It runs in its own task, so it may await freely without
/// blocking the server's polling thread.
public typealias HTTPHandler = @Sendable (HTTPRequest) async -> HTTPResponse

/// Handles one request without a task of its own: it runs on the server's polling thread
/// and must not block there; it answers through the ``HTTPResponder``, at once or later
/// from any thread (typically the thread on which the work it started completes).
///
/// This is the form for handlers that are callback-driven anyway (a VPP call completes on
/// the client's reader thread): an answer given before the handler returns is queued
/// without suspending the connection, and a later one resumes it directly, so a request
/// costs no task creation and no hops through the Swift executor. Handlers that need to
/// await start their own task (what ``HTTPServer/init(configuration:logger:handler:)``
/// does for an ``HTTPHandler``).
public typealias HTTPResponderHandler = @Sendable (HTTPRequest, HTTPResponder) -> Void

/// The one-shot answer channel of a request handed to an ``HTTPResponderHandler``.
///
/// The first ``respond(_:)`` wins; later calls are ignored (a dropped stream body is closed
/// so its producer stops). Answering is thread-safe. A responder must eventually be
/// answered: the connection waits for it (shutdown answers 503 for it at the end of its
/// grace period).
public struct HTTPResponder: Sendable {
    let context: RequestContext

    /// Answers the request with `response`.
    public func respond(_ response: HTTPResponse) {
        context.complete(with: response)
    }
}

/// A JSON string literal for `text` (RFC 8259 escaping).
func jsonQuoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}

/// The errors the server answers by itself, before or instead of the handler.
enum ServerProblem {
    static func bodyTooLarge(limit: Int) -> HTTPResponse {
        .problem(status: 413, type: "body-too-large", title: "Request body too large",
                 detail: "The request body exceeds the limit of \(limit) bytes.")
    }

    static func shuttingDown() -> HTTPResponse {
        closing(.problem(status: 503, type: "shutting-down", title: "Server is shutting down",
                         detail: "The server is shutting down and takes no new requests."))
    }

    static func clientCertificateRequired(invalid: Bool) -> HTTPResponse {
        closing(.problem(status: 403, type: "client-certificate-required", title: "Client certificate required",
                         detail: invalid ? "The TLS client certificate did not verify against the trusted CAs."
                                         : "This server requires a TLS client certificate."))
    }

    /// Message framing the server will not guess at (RFC 9112 §6.3): answered and closed,
    /// so nothing after it on the connection is read as another request (request smuggling).
    static func ambiguousFraming(_ detail: String) -> HTTPResponse {
        closing(.problem(status: 400, type: "bad-request", title: "Bad request", detail: detail))
    }

    /// A transfer coding other than chunked (RFC 9112 §6.1: 501).
    static func unsupportedTransferCoding(_ coding: String) -> HTTPResponse {
        closing(.problem(status: 501, type: "unsupported-transfer-coding", title: "Transfer coding not implemented",
                         detail: "Transfer-Encoding \"\(coding.prefix(60))\" is not supported; use chunked or Content-Length."))
    }

    static func invalidResponse(status: Int) -> HTTPResponse {
        .problem(status: 500, type: "internal-error", title: "Internal server error",
                 detail: "The handler produced an invalid status code \(status).")
    }

    /// Adds `Connection: close`, which libmicrohttpd honours by closing after
    /// the response: used where the connection should not be reused.
    private static func closing(_ response: HTTPResponse) -> HTTPResponse {
        var response = response
        response.headers.append((name: "Connection", value: "close"))
        return response
    }
}
