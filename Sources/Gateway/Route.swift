import VPPOpenAPI
import VPPSchema

/// Where a request path leads. Method checks happen in the handler of each route, so that a
/// known path with the wrong method is a 405 with `Allow`, not a 404.
enum Route: Equatable, Sendable {
    case index
    case healthz
    case readyz
    case metrics
    case openAPI
    case schemaList
    case schemaItem(String)
    case decode
    case encode(String)
    /// `/v1/events/{event}` (one name) or `/v1/events?name=…` (names from the query).
    case events(String?)
    /// `/v1/{message}`: a request, dump or get/stream call.
    case message(String)
    case notFound

    /// Matches a decoded path (no query string). Trailing slashes are ignored. Runs for
    /// every request: it splits into at most five pieces and makes a `String` only of the
    /// name it captures.
    init(path: String) {
        var p = Substring(path)
        while p.utf8.count > 1, p.utf8.last == UInt8(ascii: "/") { p = p.dropLast() }
        // The piece before the first "/" (empty for an absolute path) is dropped; a fourth
        // piece, if any, holds the rest of a path too deep for any route.
        let parts = p.split(separator: "/", maxSplits: 4, omittingEmptySubsequences: false).dropFirst()
        let piece = { (i: Int) in parts[parts.startIndex + i] }
        switch parts.count {
        case 1:
            switch piece(0) {
            case "": self = .index
            case "healthz": self = .healthz
            case "readyz": self = .readyz
            case "metrics": self = .metrics
            case "openapi.json": self = .openAPI
            default: self = .notFound
            }
        case 2 where piece(0) == "v1":
            switch piece(1) {
            case "schema": self = .schemaList
            case "decode": self = .decode
            case "events": self = .events(nil)
            case "": self = .notFound
            default: self = .message(String(piece(1)))
            }
        case 3 where piece(0) == "v1" && !piece(2).isEmpty:
            switch piece(1) {
            case "schema": self = .schemaItem(String(piece(2)))
            case "encode": self = .encode(String(piece(2)))
            case "events": self = .events(String(piece(2)))
            default: self = .notFound
            }
        default:
            self = .notFound
        }
    }
}

/// Which messages are served as calls, and how. The lists themselves are the OpenAPI
/// document's (`APISurface`), so the routes and the document can never disagree.
enum CallPolicy {
    /// Read-only requests also answer GET with query parameters (`show_*`, `*_get*`).
    static func isReadOnly(_ name: String) -> Bool { APISurface.isReadOnly(name) }

    /// Why `message` cannot be called over HTTP, or nil when it can.
    static func refusal(for message: MessageDef, in schema: Schema) -> String? {
        switch message.kind {
        case .eventRegistration:
            let events = schema.service(for: message.name)?.events ?? []
            let hint = events.first.map { "; subscribe with GET /v1/events/\($0)" } ?? ""
            return "\(message.name) registers for events, which the gateway shares between subscribers\(hint)"
        case .reply, .details:
            let request = schema.request(answeredBy: message.name).map { "; call \($0) instead" } ?? ""
            return "\(message.name) is a \(message.kind.rawValue) message VPP sends, not a request\(request)"
        case .event:
            return "\(message.name) is an event; subscribe with GET /v1/events/\(message.name)"
        case .request, .dump, .getStream:
            // memclnt's transport messages belong to the gateway's own session with VPP: a
            // caller sending sockclnt_delete through it would cut everyone off.
            guard APISurface.isOffered(message.name) else {
                return "\(message.name) belongs to the gateway's own session with VPP and cannot be called"
            }
            if schema.service(for: message.name)?.pattern == .noReply {
                return "\(message.name) has no reply; the gateway does not send fire-and-forget messages"
            }
            return nil
        }
    }
}
