import VPPJSON
import VPPSchema

/// What the document says about itself and where it is served.
public struct OpenAPIOptions: Sendable, Equatable {
    /// `info.title`.
    public var title: String
    /// The gateway's base URL for `servers` (`http://127.0.0.1:8080`); nil leaves `servers`
    /// out, which means "the host that served this document".
    public var serverURL: String?
    /// VPP's version (from `show_version`), written as `info.x-vpp-version` when known.
    public var vppVersion: String?

    /// Options with the defaults of the gateway.
    public init(title: String = "VPPGateway", serverURL: String? = nil, vppVersion: String? = nil) {
        self.title = title
        self.serverURL = serverURL
        self.vppVersion = vppVersion
    }
}

/// Generates the OpenAPI 3.1 document of the gateway's HTTP surface for a loaded schema.
///
/// Deterministic: paths, components and tags are sorted by name and fields keep declaration
/// order, so the same schema always gives byte-identical text.
public struct OpenAPIGenerator: Sendable {
    /// The gateway's version (`info.version`).
    public static let packageVersion = "0.1.0"

    /// The schema described.
    public let schema: Schema
    /// Title, server and VPP version.
    public let options: OpenAPIOptions
    /// The routes described.
    public let surface: APISurface

    /// A generator for `schema`; `serves` is the message policy (see `APISurface.init`).
    public init(schema: Schema, options: OpenAPIOptions = OpenAPIOptions(),
                serves: (_ name: String, _ isRead: Bool) -> Bool = { _, _ in true }) {
        self.schema = schema
        self.options = options
        self.surface = APISurface(schema: schema, serves: serves)
    }

    /// The document as JSON text: compact, or indented with two spaces.
    public func jsonText(pretty: Bool = false) -> String {
        let doc = document()
        return pretty ? doc.prettyJSONText : doc.jsonText
    }

    /// The document.
    public func document() -> JSONValue {
        var build = DocumentBuilder(schema: schema, surface: surface)
        return build.document(options: options)
    }
}

/// One generation run (holds the type mapper's collected references).
struct DocumentBuilder {
    let schema: Schema
    let surface: APISurface
    var mapper: TypeMapper
    let examples: ExampleBuilder

    init(schema: Schema, surface: APISurface) {
        self.schema = schema
        self.surface = surface
        self.mapper = TypeMapper(schema: schema)
        self.examples = ExampleBuilder(schema: schema, types: mapper.types)
    }

    mutating func document(options: OpenAPIOptions) -> JSONValue {
        var paths: [(String, JSONValue)] = []
        for call in surface.calls { paths.append(("/v1/\(call.name)", callPath(call))) }
        for dump in surface.dumps { paths.append(("/v1/\(dump.name)", dumpPath(dump))) }
        for stream in surface.events { paths.append(("/v1/events/\(stream.event)", eventPath(stream))) }
        paths += FixedComponents.paths(eventNames: surface.events.map(\.event))
        paths.sort { $0.0 < $1.0 }

        var schemas: [(String, JSONValue)] = []
        for name in schema.messageNames {
            guard let m = schema.messages[name] else { continue }
            schemas.append((name, messageSchema(m)))
        }
        var done = Set<TypeMapper.TypeComponent>()
        while true {
            let pending = mapper.referenced.subtracting(done).sorted()
            if pending.isEmpty { break }
            for c in pending {
                done.insert(c)
                schemas.append((mapper.componentName(c), mapper.componentSchema(c)))
            }
        }
        schemas += FixedComponents.schemas
        schemas.sort { $0.0 < $1.0 }

        var tagNames = Set(surface.calls.compactMap { schema.messages[$0.name]?.module })
        tagNames.formUnion(surface.dumps.compactMap { schema.messages[$0.name]?.module })
        tagNames.formUnion(surface.events.compactMap { schema.messages[$0.event]?.module })
        let tags: [JSONValue] = tagNames.sorted().map { name in
            let module = schema.modules.first { $0.name == name }
            return object([
                ("name", str(name)),
                ("description", str("Messages of \(name).api" + (module?.version.map { ", API version \($0)" } ?? "")
                    + (module?.crc.map { " (file CRC \($0))" } ?? "") + ".")),
            ])
        } + [
            object([("name", str(FixedComponents.eventsTag)), ("description", str("Several event streams multiplexed on one connection."))]),
            object([("name", str(FixedComponents.gatewayTag)), ("description", str("The gateway itself: offline codec, schema, health and metrics."))]),
        ]

        return object([
            ("openapi", str("3.1.0")),
            ("info", object([
                ("title", str(options.title)),
                ("version", str(OpenAPIGenerator.packageVersion)),
                ("summary", str("HTTP/JSON and Server-Sent Events in front of FD.io VPP's binary API.")),
                ("description", str(FixedComponents.infoDescription)),
                ("license", object([("name", str("Apache-2.0")), ("identifier", str("Apache-2.0"))])),
                ("x-vpp-version", options.vppVersion.map { str($0) }),
                ("x-vpp-messages", int(schema.messages.count)),
                ("x-vpp-modules", int(schema.modules.count)),
            ])),
            ("servers", options.serverURL.map { .array([object([("url", str($0))])]) }),
            ("security", .array([object([]), object([("bearerAuth", .array([]))])])),
            ("tags", .array(tags)),
            ("paths", object(paths)),
            ("components", object([
                ("schemas", object(schemas)),
                ("responses", FixedComponents.responses),
                ("parameters", FixedComponents.parameters),
                ("securitySchemes", object([
                    ("bearerAuth", object([
                        ("type", str("http")), ("scheme", str("bearer")),
                        ("description", str("Only when the gateway is started with authentication: Authorization: Bearer <token>. Without a token such a gateway answers 401, with a token that may not use the message 403.")),
                    ])),
                    ("accessToken", object([
                        ("type", str("apiKey")), ("in", str("query")), ("name", str("access_token")),
                        ("description", str("Event streams only, for clients that cannot set headers (a browser's EventSource): the bearer token as a query parameter (RFC 6750 §2.3). URLs end up in logs: prefer the header.")),
                    ])),
                ])),
            ])),
        ])
    }

    // MARK: - Messages

    private func kind(_ m: MessageDef) -> MessageKind {
        surface.kinds[m.name] ?? m.kind
    }

    private func inputMode(_ m: MessageDef) -> Bool {
        switch kind(m) {
        case .request, .dump, .getStream, .eventRegistration: true
        case .reply, .details, .event: false
        }
    }

    /// The component of a message: its JSON as a request body (every field optional) or as
    /// the gateway writes it (every field present).
    mutating func messageSchema(_ m: MessageDef) -> JSONValue {
        let mode: Mode = inputMode(m) ? .input : .output
        let doc = DocComment(m.comment)
        let cursor = surface.dump(m.name)?.cursorField
        let fields = APISurface.inputFields(m, cursor: cursor)
        var props: [(String, JSONValue?)] = [
            ("_msgname", object([("type", str("string")), ("const", str(m.name)),
                                 ("description", str(mode == .input ? "Optional; when given it must name this message." : "The message name."))])),
            ("_crc", object([("type", str("string")), ("const", str(m.crc)),
                             ("description", str(mode == .input ? "Optional; when given it must be this CRC." : "The message CRC (8 hex digits)."))])),
        ]
        for f in fields {
            props.append((f.name, mapper.fieldSchema(f, siblings: m.fields, mode: mode, doc: doc.parameters[f.name])))
        }
        var text = [doc.summary, doc.body].filter { !$0.isEmpty }.joined(separator: "\n\n")
        if text.isEmpty { text = "Message \(m.name)." }
        text += "\n\n" + (mode == .input
            ? "Every field is optional: a missing field takes its .api.json default, else zero (empty, [], all-zero bytes)."
            : "Canonical JSON: _msgname, _crc, then every field in declaration order.")
        if let c = cursor {
            text += " The `\(c)` field is left out: the gateway follows the cursor itself."
        }
        if m.isInProgress { text += " In progress: this API may still change (x-vpp-in-progress)." }
        return object([
            ("type", str("object")),
            ("description", str(text)),
            ("properties", object(props)),
            ("required", mode == .output ? strings(props.map(\.0)) : nil),
            ("additionalProperties", .bool(false)),
            ("deprecated", m.isDeprecated ? .bool(true) : nil),
            ("x-vpp-crc", str(m.crc)),
            ("x-vpp-kind", str(kind(m).rawValue)),
            ("x-vpp-module", str(m.module)),
            ("x-vpp-in-progress", m.isInProgress ? .bool(true) : nil),
        ])
    }

    // MARK: - Operations

    /// Summary and description of an operation from the message's comment and options.
    private func texts(_ m: MessageDef, fallback: String, extra: [String]) -> (String, String) {
        let doc = DocComment(m.comment)
        let summary = doc.summary.isEmpty ? fallback : doc.summary
        var parts: [String] = []
        if !doc.body.isEmpty { parts.append(doc.body) }
        parts += extra
        if m.isDeprecated {
            parts.append("Deprecated" + (m.options["replaced_by"]?.stringValue.map { ": use `\($0)`." } ?? "."))
        }
        if m.isInProgress { parts.append("In progress: this API may still change.") }
        return (summary, parts.joined(separator: "\n\n"))
    }

    private func operationHeader(_ m: MessageDef, operationID: String, summary: String, description: String) -> [(String, JSONValue?)] {
        [
            ("tags", strings([m.module])),
            ("summary", str(summary)),
            ("description", str(description)),
            ("operationId", str(operationID)),
            ("deprecated", m.isDeprecated ? .bool(true) : nil),
            ("x-vpp-message", str(m.name)),
            ("x-vpp-crc", str(m.crc)),
            ("x-vpp-in-progress", m.isInProgress ? .bool(true) : nil),
            ("x-vpp-replaced-by", m.isDeprecated ? m.options["replaced_by"] : nil),
        ]
    }

    private func requestBody(_ m: MessageDef) -> JSONValue {
        object([
            ("description", str("The request's fields (all optional). An empty body or {} sends the defaults.")),
            ("required", .bool(false)),
            ("content", object([
                ("application/json", object([
                    ("schema", ref(m.name)),
                    ("example", examples.request(m.name)),
                ])),
            ])),
        ])
    }

    /// Query parameters for the fields of a GET.
    private mutating func queryParameters(_ m: MessageDef, names: [String], mode: Mode,
                                          note: (Field) -> String?) -> [JSONValue] {
        let doc = DocComment(m.comment)
        var out: [JSONValue] = []
        for name in names {
            guard let f = m.fields.first(where: { $0.name == name }) else { continue }
            let s = mapper.fieldSchema(f, siblings: m.fields, mode: mode, doc: nil)
            let flagSet = mapper.types.isFlagSet(f.type) && f.cardinality == .single
            let text = sentences([doc.parameters[name], note(f),
                                  flagSet ? "Flag names (or integers): repeat the parameter or give a comma-separated list." : nil])
            out.append(object([
                ("name", str(name)),
                ("in", str("query")),
                ("required", .bool(false)),
                ("description", text.isEmpty ? nil : str(text)),
                ("schema", s),
                ("style", flagSet ? str("form") : nil),
                ("explode", flagSet ? .bool(true) : nil),
            ]))
        }
        return out
    }

    private func responses(_ codes: [Int], success: JSONValue) -> JSONValue {
        var members: [(String, JSONValue?)] = [("200", success)]
        for code in codes {
            guard let name = FixedComponents.responseNames[code] else { continue }
            members.append((String(code), ref(name, section: "responses")))
        }
        return object(members)
    }

    mutating func callPath(_ call: APISurface.Call) -> JSONValue {
        guard let m = schema.messages[call.name], let reply = schema.messages[call.reply] else { return object([]) }
        let (summary, description) = texts(m, fallback: "Call \(m.name)", extra: [
            "Answers `\(reply.name)` (CRC \(reply.crc)) in canonical JSON. A non-zero retval is answered with 422 and a problem that carries retval, its VPP error name and the decoded reply.",
        ])
        let example = examples.answers(reply.name)?.first
        let success = object([
            ("description", str("The reply, retval 0.")),
            ("content", object([("application/json", object([("schema", ref(reply.name)), ("example", example)]))])),
        ])
        var path: [(String, JSONValue?)] = []
        if call.readOnly {
            let params = queryParameters(m, names: call.queryFields, mode: .input) { _ in nil }
            let omitted = APISurface.inputFields(m, cursor: nil).map(\.name).filter { !call.queryFields.contains($0) }
            var d = description
            if !omitted.isEmpty {
                d += "\n\nAs GET, fields that are not scalars (\(omitted.joined(separator: ", "))) take their defaults; use POST to set them."
            }
            path.append(("get", object(operationHeader(m, operationID: "\(m.name)_get", summary: summary, description: d) + [
                ("parameters", params.isEmpty ? nil : .array(params)),
                ("responses", responses([400, 401, 403, 422, 501, 503, 504], success: success)),
            ])))
        }
        path.append(("post", object(operationHeader(m, operationID: m.name, summary: summary, description: description) + [
            ("requestBody", requestBody(m)),
            ("responses", responses([400, 401, 403, 413, 422, 501, 503, 504], success: success)),
        ])))
        return object(path)
    }

    mutating func dumpPath(_ dump: APISurface.Dump) -> JSONValue {
        guard let m = schema.messages[dump.name], let details = schema.messages[dump.details] else { return object([]) }
        var extra = "Answers the `\(details.name)` items (CRC \(details.crc)): a JSON array, streamed as the details arrive, or with `Accept: application/x-ndjson` one object per line."
        if dump.isGetStream {
            extra += " This is a get/stream call: the gateway follows the `\(dump.cursorField ?? "cursor")` from page to page itself and answers every item."
        }
        let (summary, description) = texts(m, fallback: "Dump \(m.name)", extra: [extra])
        let items = examples.answers(details.name)
        let success = object([
            ("description", str("Every \(details.name).")),
            ("content", object([
                ("application/json", object([
                    ("schema", object([("type", str("array")), ("items", ref(details.name))])),
                    ("example", items.map { JSONValue.array($0) }),
                ])),
                ("application/x-ndjson", object([
                    ("schema", ref(details.name).setting("description", str("One \(details.name) object per line (newline-delimited JSON), written as each arrives."))),
                ])),
            ])),
        ])
        let errors = dump.isGetStream ? [400, 401, 403, 422, 501, 503, 504] : [400, 401, 403, 501, 503, 504]
        let params = queryParameters(m, names: dump.queryFields, mode: .input) { _ in nil }
        let omitted = APISurface.inputFields(m, cursor: dump.cursorField).map(\.name).filter { !dump.queryFields.contains($0) }
        var getDescription = description
        if !omitted.isEmpty {
            getDescription += "\n\nAs GET, fields that are not scalars (\(omitted.joined(separator: ", "))) take their defaults; use POST to set them."
        }
        return object([
            ("get", object(operationHeader(m, operationID: "\(m.name)_get", summary: summary, description: getDescription) + [
                ("parameters", params.isEmpty ? nil : .array(params)),
                ("responses", responses(errors, success: success)),
            ])),
            ("post", object(operationHeader(m, operationID: m.name, summary: summary, description: description) + [
                ("requestBody", requestBody(m)),
                ("responses", responses(errors.map { $0 } + [413], success: success)),
            ])),
        ])
    }

    mutating func eventPath(_ stream: APISurface.EventStream) -> JSONValue {
        guard let e = schema.messages[stream.event], let want = schema.messages[stream.registration] else { return object([]) }
        let doc = DocComment(e.comment)
        var description = doc.body.isEmpty ? "" : doc.body + "\n\n"
        if let enable = stream.enableField {
            description += "Server-Sent Events of `\(e.name)` (CRC \(e.crc)). The gateway registers with `\(want.name)` on the first subscriber"
                + " (setting `\(enable)`" + (want.fields.contains { $0.name == "pid" } ? " and `pid`)" : ")")
                + ", shares the registration between subscribers with the same registration parameters, and renews it after VPP reconnects."
        } else {
            description += "Server-Sent Events of `\(e.name)` (CRC \(e.crc)). VPP sends these as a side effect of `POST /v1/\(want.name)`,"
                + " which the gateway never sends on its own: the stream delivers the ones that follow such calls on the gateway's connection."
        }
        if !stream.unsupportedRegistrationFields.isEmpty {
            description += " Registration fields that cannot be query parameters take their defaults: \(stream.unsupportedRegistrationFields.joined(separator: ", "))."
        }
        if !stream.filterFields.isEmpty {
            description += " Filters: only events whose field equals the given value are sent (\(stream.filterFields.joined(separator: ", ")))."
        }
        description += "\n\n" + FixedComponents.sseDescription
        var params = queryParameters(want, names: stream.registrationParameters, mode: .input) { _ in
            "Registration parameter of \(want.name) (VPP applies it)."
        }
        params += queryParameters(e, names: stream.filterFields, mode: .input) { f in
            "Filter: only events whose `\(f.name)` equals this value."
        }
        params.append(ref("LastEventID", section: "parameters"))
        params.append(ref("LastEventIDQuery", section: "parameters"))
        let sample = examples.answers(e.name)?.first ?? examples.canonical(e)
        let success = object([
            ("description", str("An endless text/event-stream of \(e.name) events and control events.")),
            ("content", object([
                ("text/event-stream", object([
                    ("schema", FixedComponents.sseEvent(e.name)),
                    ("example", str("id: 1\nevent: \(e.name)\ndata: \(sample.jsonText)\n\n")),
                ])),
            ])),
        ])
        let (summary, _) = texts(e, fallback: "Stream \(e.name) events", extra: [])
        return object([
            ("get", object([
                ("tags", strings([e.module])),
                ("summary", str(summary)),
                ("description", str(description)),
                ("operationId", str("events_\(e.name)")),
                ("deprecated", e.isDeprecated || want.isDeprecated ? .bool(true) : nil),
                ("x-vpp-message", str(e.name)),
                ("x-vpp-crc", str(e.crc)),
                ("x-vpp-registration", str(want.name)),
                ("x-vpp-in-progress", e.isInProgress ? .bool(true) : nil),
                ("parameters", .array(params)),
                ("security", .array([object([]), object([("bearerAuth", .array([]))]), object([("accessToken", .array([]))])])),
                ("responses", responses([400, 401, 403, 422, 501, 503, 504], success: success)),
            ])),
        ])
    }
}
