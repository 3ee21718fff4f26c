import HTTPServer
import VPPCodec
import VPPEvents
import VPPJSON
import VPPSchema

extension Gateway {
    /// `GET /v1/events/{event}` and `GET /v1/events?name=a&name=b`: Server-Sent Events.
    ///
    /// Query parameters are the registration arguments of the event's `want_*` message
    /// (part of the registration's identity) or equality filters on event fields (per
    /// subscriber). `Last-Event-ID` (header, or `last_event_id` for clients that cannot set
    /// headers) replays from the hub's ring; `access_token` is the bearer token of such clients.
    func events(_ name: String?, _ request: HTTPRequest) async throws(Problem) -> HTTPResponse {
        let codec = try requireCodec()
        let names = name.map { [$0] } ?? request.query.filter { $0.name == "name" }.map(\.value)
        guard !names.isEmpty else {
            throw Problem(.invalidField, "name the events: GET /v1/events/{event} or /v1/events?name=a&name=b", pointer: "/name")
        }
        let params = request.query.filter { !["name", "last_event_id", Self.accessTokenParameter].contains($0.name) }
        var selectors: [EventSelector] = []
        var used: Set<String> = []
        for event in names {
            let (selector, consumed) = try selector(for: event, params: params, codec: codec)
            selectors.append(selector)
            used.formUnion(consumed)
        }
        if let unused = params.first(where: { !used.contains($0.name) }) {
            throw Problem(.invalidField, "query parameter \"\(unused.name)\" is neither a registration argument nor a field of \(names.joined(separator: ", "))",
                          pointer: "/" + unused.name)
        }
        for event in names {
            if let m = codec.schema.message(event) { try checkPolicy(m) }
        }
        let client = request.remoteAddress
        let limit = configuration.sseMaxPerClient
        let admitted = streamsPerClient.withLock { counts -> Bool in
            if limit > 0, counts[client, default: 0] >= limit { return false }
            counts[client, default: 0] += 1
            return true
        }
        guard admitted else {
            throw Problem(.tooManySubscribers, "\(client) already has \(limit) event stream\(limit == 1 ? "" : "s") open, the most one client may hold")
        }
        var counted = true
        defer { if counted { releaseStream(client) } }
        let lastEventText = request.header("last-event-id") ?? request.queryValue("last_event_id")
        var lastEventID: UInt64?
        if let text = lastEventText, !text.isEmpty {
            guard let v = UInt64(text) else {
                throw Problem(.invalidField, "Last-Event-ID must be an event id from this gateway, got \"\(text.prefix(40))\"")
            }
            lastEventID = v
        }
        // A small read block: with thousands of streams open, the per-stream block is the
        // largest memory cost (8 KiB would be ~80 MB at 10,000 subscribers). The body ends with
        // the connection (an event stream has no natural end), so without TLS the server's
        // writer threads send each frame straight to the socket.
        let (source, writer) = HTTPStreamSource.makeStream(highWaterMark: configuration.sseQueueBytes, blockSize: 1024,
                                                           endsWithConnection: true)
        let sink = SSESink(writer: writer)
        // The retry hint and a first comment go out at once, so clients see the stream open.
        _ = writer.tryWrite(Array("retry: 2000\n: subscribed to \(names.joined(separator: ", "))\n\n".utf8))
        let id: Int
        do throws(EventHubError) {
            id = try await hub.subscribe(selectors, lastEventID: lastEventID, sink: sink, offlineCodec: codec)
        } catch {
            writer.finish()
            throw Problem(hub: error)
        }
        let hub = self.hub
        counted = false
        writer.onClose { [self] in
            releaseStream(client)
            Task { await hub.unsubscribe(id) }
        }
        return HTTPResponse(status: 200,
                            headers: [("Content-Type", "text/event-stream"), ("Cache-Control", "no-store"),
                                      ("X-Accel-Buffering", "no")],
                            body: .stream(source))
    }

    /// One SSE stream of `client` ended.
    func releaseStream(_ client: String) {
        streamsPerClient.withLock { counts in
            let n = (counts[client] ?? 1) - 1
            counts[client] = n > 0 ? n : nil
        }
    }

    /// Splits the query into the event's registration arguments and filters.
    private func selector(for event: String, params: [(name: String, value: String)],
                          codec: Codec) throws(Problem) -> (EventSelector, Set<String>) {
        let schema = codec.schema
        guard let message = schema.message(event), message.kind == .event else {
            throw Problem(.unknownMessage, "no event \(event) in the loaded API; see GET /v1/schema")
        }
        let want = schema.registration(for: event).flatMap { schema.message($0) }
        let reserved = Set(["_vl_msg_id", "client_index", "context", "pid"] + MessageDef.enableFieldNames)
        let wantFields = (want?.fields ?? []).filter { !reserved.contains($0.name) }
        let argumentParams = params.filter { p in wantFields.contains { $0.name == p.name } }
        let filterParams = params.filter { p in
            !wantFields.contains { $0.name == p.name } && message.fields.contains { $0.name == p.name.split(separator: ".").first.map(String.init) }
        }
        let arguments = try FieldInput.query(argumentParams, fields: wantFields, schema: schema)
        // Top-level filters are typed together (a repeated scalar is an error, repeated flags
        // merge) and must be values the event's fields can hold: one that cannot (out of
        // range, an unknown name, too long) would silently match nothing.
        var filters = try FieldInput.query(filterParams.filter { !$0.name.contains(".") }, fields: message.fields, schema: schema)
        do throws(CodecError) {
            _ = try codec.encode(.object(filters), as: event)
        } catch where error.kind != .unsupported {
            throw Problem(input: error, source: "filter")
        } catch {}
        for p in filterParams where p.name.contains(".") {
            filters.append(p.name, FieldInput.ValueKind.nameOrNumber(p.value))
        }
        let consumed = Set(argumentParams.map(\.name) + filterParams.map(\.name))
        return (EventSelector(event: event, registrationArguments: arguments, filters: filters), consumed)
    }
}

extension Problem {
    /// The problem an event-hub error maps to.
    init(hub error: EventHubError) {
        switch error {
        case .unknownEvent: self.init(.unknownMessage, error.description)
        case .invalidArgument(let pointer, let detail): self.init(.invalidField, detail, pointer: pointer.isEmpty ? nil : pointer)
        case .registrationFailed(let vpp): self.init(vpp: vpp)
        case .tooManySubscribers: self.init(.tooManySubscribers, error.description)
        case .shuttingDown: self.init(.vppNotConnected, error.description)
        }
    }
}

/// Writes hub items to an HTTP stream in the SSE format.
///
/// `id:` is the hub's event sequence (monotonic; what `Last-Event-ID` refers to),
/// `event:` the message name, `data:` canonical JSON on one line. Control events carry no
/// id, so a reconnecting client resumes after the last real event.
final class SSESink: EventSink {
    let writer: HTTPStreamWriter

    init(writer: HTTPStreamWriter) {
        self.writer = writer
    }

    var isClosed: Bool { writer.isClosed }

    func close() { writer.finish() }

    func offer(_ item: HubItem) -> Bool {
        writer.tryWrite(Self.frame(item))
    }

    static func frame(_ item: HubItem) -> [UInt8] {
        switch item {
        case .event(let e):
            return e.sseFrame
        case .heartbeat:
            return Array(": heartbeat\n\n".utf8)
        case .control(let c):
            let (name, data): (String, String)
            switch c {
            case .vppDisconnected(let reason): (name, data) = ("vpp-disconnected", "{\"reason\":\(JSONValue.string(reason).jsonText)}")
            case .vppConnected: (name, data) = ("vpp-connected", "{\"resync\":true}")
            case .overflow(let n): (name, data) = ("overflow", "{\"dropped\":\(n)}")
            case .gap(let last, let oldest, let unknown):
                (name, data) = ("gap", "{\"last_event_id\":\(last),\"oldest_available\":\(oldest.map(String.init) ?? "null"),"
                                    + "\"reason\":\"\(unknown ? "unknown-id" : "too-old")\"}")
            case .registrationFailed(let reason):
                (name, data) = ("registration-failed", "{\"reason\":\(JSONValue.string(reason).jsonText)}")
            case .shutdown: (name, data) = ("shutdown", "{}")
            }
            return Array("event: \(name)\ndata: \(data)\n\n".utf8)
        }
    }
}
