import HTTPServer
import VPPClient
import VPPCodec
import VPPJSON

/// An RFC 9457 problem: the one shape every gateway error takes.
///
/// `type` URIs are stable (clients switch on them), `pointer` names the offending field as a
/// JSON pointer, and VPP errors carry `retval`, its name from VPP's error table and the
/// decoded reply, so a caller never has to guess what VPP said.
public struct Problem: Error, Sendable {
    /// The stable problem types, with their HTTP status and title.
    public enum Kind: String, Sendable, CaseIterable {
        case malformedJSON = "malformed-json"
        case invalidField = "invalid-field"
        case unknownMessage = "unknown-message"
        case notCallable = "not-callable"
        case notFound = "not-found"
        case methodNotAllowed = "method-not-allowed"
        case notAcceptable = "not-acceptable"
        case bodyTooLarge = "body-too-large"
        case vppError = "vpp-error"
        case messageUnavailable = "message-unavailable"
        case vppNotConnected = "vpp-not-connected"
        case vppTimeout = "vpp-timeout"
        case unauthorized
        case forbidden
        case crossOriginRefused = "cross-origin-refused"
        case hostNotAllowed = "host-not-allowed"
        case tooManySubscribers = "too-many-subscribers"
        case internalError = "internal-error"

        /// The HTTP status of this kind.
        public var status: Int {
            switch self {
            case .malformedJSON, .invalidField: 400
            case .unauthorized: 401
            case .forbidden, .crossOriginRefused, .hostNotAllowed: 403
            case .unknownMessage, .notCallable, .notFound: 404
            case .methodNotAllowed: 405
            case .notAcceptable: 406
            case .bodyTooLarge: 413
            case .vppError: 422
            case .tooManySubscribers: 429
            case .internalError: 500
            case .messageUnavailable: 501
            case .vppNotConnected: 503
            case .vppTimeout: 504
            }
        }

        /// A short, stable summary.
        public var title: String {
            switch self {
            case .malformedJSON: "Malformed JSON"
            case .invalidField: "Invalid field"
            case .unknownMessage: "Unknown message"
            case .notCallable: "Message cannot be called"
            case .notFound: "Not found"
            case .methodNotAllowed: "Method not allowed"
            case .notAcceptable: "Not acceptable"
            case .bodyTooLarge: "Request body too large"
            case .vppError: "VPP returned an error"
            case .messageUnavailable: "Message not offered by the connected VPP"
            case .vppNotConnected: "VPP not connected"
            case .vppTimeout: "VPP did not answer in time"
            case .unauthorized: "Unauthorized"
            case .forbidden: "Forbidden"
            case .crossOriginRefused: "Cross-origin request refused"
            case .hostNotAllowed: "Host not allowed"
            case .tooManySubscribers: "Too many subscribers"
            case .internalError: "Internal error"
            }
        }
    }

    /// The problem type.
    public var kind: Kind
    /// What happened this time.
    public var detail: String
    /// JSON pointer of the offending field, when there is one.
    public var pointer: String?
    /// VPP's return value, for VPP errors.
    public var retval: Int32?
    /// The decoded reply (canonical JSON bytes), for VPP errors.
    public var reply: [UInt8]?
    /// Headers to add (e.g. `Allow` for 405, `Retry-After` for 503).
    public var headers: [(name: String, value: String)] = []

    /// Creates a problem. A 503 (VPP away) and a 429 (subscriber limits) say when to try
    /// again (`Retry-After`), as clients and proxies expect of both.
    public init(_ kind: Kind, _ detail: String, pointer: String? = nil) {
        self.kind = kind
        self.detail = detail
        self.pointer = pointer
        switch kind {
        case .vppNotConnected: headers = [("Retry-After", "1")]
        case .tooManySubscribers: headers = [("Retry-After", "5")]
        default: break
        }
    }

    /// A codec error on input: malformed JSON or a field that does not fit the schema.
    public init(input error: CodecError, source: String = "body") {
        switch error.kind {
        case .malformedJSON: self.init(.malformedJSON, "request \(source): \(error.reason)")
        // Well-formed JSON that is not an object of fields, as FieldInput.body says too.
        case .wrongType where error.path.isEmpty: self.init(.malformedJSON, "request \(source): \(error.reason)")
        case .unknownMessage: self.init(.unknownMessage, error.reason, pointer: error.path.isEmpty ? nil : error.path)
        default: self.init(.invalidField, error.description, pointer: error.path.isEmpty ? nil : error.path)
        }
    }

    /// The problem a VPP client error maps to (503 not connected, 504 timeout, 501 unavailable…).
    public init(vpp error: VPPError) {
        switch error {
        case .retval(let code, _, let reply):
            self.init(.vppError, error.description)
            retval = code
            self.reply = reply.json
        case .notConnected, .disconnected, .overloaded, .shutdown, .connectFailed:
            self.init(.vppNotConnected, error.description)
        case .timeout:
            self.init(.vppTimeout, error.description)
        case .messageUnavailable(let name, let reason):
            if case .notInSchema = reason {
                self.init(.unknownMessage, error.description, pointer: nil)
            } else {
                self.init(.messageUnavailable, "\(name) is not offered by the connected VPP: \(reason)")
            }
        case .invalidRequest(_, let codecError):
            self = Problem(input: codecError)
        case .wrongPattern:
            self.init(.notCallable, error.description)
        case .malformedReply, .streamOverflow, .cancelled:
            self.init(.internalError, error.description)
        }
    }

    /// The `application/problem+json` response, with the request id when there is one.
    public func response(requestID: String? = nil) -> HTTPResponse {
        var w = JSONWriter(capacity: 256 + (reply?.count ?? 0))
        w.raw("{\"type\":")
        w.string(HTTPResponse.problemTypeBase + kind.rawValue)
        w.raw(",\"title\":")
        w.string(kind.title)
        w.raw(",\"status\":")
        w.uint(UInt64(kind.status))
        w.raw(",\"detail\":")
        w.string(detail)
        if let pointer {
            w.raw(",\"pointer\":")
            w.string(pointer)
        }
        if let retval {
            w.raw(",\"retval\":")
            w.int(Int64(retval))
            w.raw(",\"error\":")
            w.string(VPPErrorCode.name(of: retval))
        }
        if let reply {
            w.raw(",\"reply\":")
            w.raw(reply)
        }
        if let requestID {
            w.raw(",\"request_id\":")
            w.string(requestID)
        }
        w.raw("}")
        return HTTPResponse(status: kind.status,
                            headers: [("Content-Type", "application/problem+json")] + headers,
                            body: .bytes(w.bytes))
    }
}
