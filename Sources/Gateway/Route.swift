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
    /// every request, so it works on the path's bytes and makes a `String` only of the name
    /// it captures.
    init(path: String) {
        var path = path
        self = path.withUTF8 { Route(bytes: $0) }
    }

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        let slash = UInt8(ascii: "/")
        var end = bytes.count
        while end > 1, bytes[end - 1] == slash { end -= 1 }
        // The pieces after each "/" (what precedes the first one is ignored); more than
        // three match no route.
        guard let first = bytes[..<end].firstIndex(of: slash) else {
            self = .notFound
            return
        }
        var pieces: (Range<Int>, Range<Int>, Range<Int>) = (0..<0, 0..<0, 0..<0)
        var count = 0
        var start = first + 1
        while true {
            let next = bytes[start..<end].firstIndex(of: slash) ?? end
            switch count {
            case 0: pieces.0 = start..<next
            case 1: pieces.1 = start..<next
            case 2: pieces.2 = start..<next
            default: break
            }
            count += 1
            if next == end || count > 3 { break }
            start = next + 1
        }
        func range(_ i: Int) -> Range<Int> { i == 0 ? pieces.0 : i == 1 ? pieces.1 : pieces.2 }
        func piece(_ i: Int) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(rebasing: bytes[range(i)]) }
        func name(_ i: Int) -> String { String(decoding: piece(i), as: UTF8.self) }
        func equals(_ i: Int, _ literal: StaticString) -> Bool {
            piece(i).elementsEqual(UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
        }
        switch count {
        case 1:
            if equals(0, "") { self = .index }
            else if equals(0, "healthz") { self = .healthz }
            else if equals(0, "readyz") { self = .readyz }
            else if equals(0, "metrics") { self = .metrics }
            else if equals(0, "openapi.json") { self = .openAPI }
            else { self = .notFound }
        case 2 where equals(0, "v1"):
            if equals(1, "schema") { self = .schemaList }
            else if equals(1, "decode") { self = .decode }
            else if equals(1, "events") { self = .events(nil) }
            else if equals(1, "") { self = .notFound }
            else { self = .message(name(1)) }
        case 3 where equals(0, "v1") && !pieces.2.isEmpty:
            if equals(1, "schema") { self = .schemaItem(name(2)) }
            else if equals(1, "encode") { self = .encode(name(2)) }
            else if equals(1, "events") { self = .events(name(2)) }
            else { self = .notFound }
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
            if APISurface.isCallWithEvents(message, in: schema) { return nil }
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
