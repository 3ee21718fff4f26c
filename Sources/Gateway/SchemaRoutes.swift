import HTTPServer
import VPPClient
import VPPJSON
import VPPOpenAPI
import VPPSchema

extension Gateway {
    /// `GET /v1/schema`: every message with kind, CRC, module and whether the connected VPP
    /// offers it (`available`, `missing`, `crc-mismatch`; `unknown` while disconnected).
    func schemaList() throws(Problem) -> HTTPResponse {
        let codec = try requireCodec()
        let session = client.session
        var w = JSONWriter(capacity: 256 * 1024)
        w.raw("{\"connected\":")
        w.bool(session != nil)
        if let session {
            w.raw(",\"vpe_pid\":"); w.uint(UInt64(session.vpePID))
            w.raw(",\"vpp_messages\":"); w.uint(UInt64(session.messageCount))
            w.raw(",\"live_schema\":"); w.bool(session.liveSchemaLoaded)
        }
        w.raw(",\"modules\":[")
        for (i, m) in codec.schema.modules.enumerated() {
            if i > 0 { w.raw(",") }
            w.raw("{\"name\":"); w.string(m.name)
            if let v = m.version { w.raw(",\"version\":"); w.string(v) }
            w.raw("}")
        }
        w.raw("],\"messages\":[")
        for (i, name) in codec.schema.messageNames.enumerated() {
            guard let m = codec.schema.messages[name] else { continue }
            if i > 0 { w.raw(",") }
            w.raw("{\"name\":"); w.string(name)
            w.raw(",\"kind\":"); w.string(m.kind.rawValue)
            w.raw(",\"crc\":"); w.string(m.crc)
            w.raw(",\"module\":"); w.string(m.module)
            w.raw(",\"status\":"); w.string(availability(name, session))
            if m.isDeprecated { w.raw(",\"deprecated\":true") }
            if isServable(m.kind), policyRefusal(m) != nil { w.raw(",\"denied\":true") }
            w.raw("}")
        }
        w.raw("]}")
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: .bytes(w.bytes))
    }

    /// Kinds the message policy applies to (what a client sends or subscribes to).
    private func isServable(_ kind: MessageKind) -> Bool {
        switch kind {
        case .request, .dump, .getStream, .eventRegistration, .event: true
        default: false
        }
    }

    private func availability(_ name: String, _ session: VPPSession?) -> String {
        guard let session else { return "unknown" }
        switch session.availability.status(of: name) {
        case .available?: return "available"
        case .missing?: return "missing"
        case .crcMismatch?: return "crc-mismatch"
        case nil: return "unknown"
        }
    }

    /// `GET /v1/schema/{name}`: one message (fields, service, availability) or one type.
    func schemaItem(_ name: String) throws(Problem) -> HTTPResponse {
        let codec = try requireCodec()
        let schema = codec.schema
        var o = JSONObject()
        if let m = schema.message(name) {
            o.append("name", .string(name))
            o.append("kind", .string(m.kind.rawValue))
            o.append("crc", .string(m.crc))
            o.append("module", .string(m.module))
            o.append("status", .string(availability(name, client.session)))
            if isServable(m.kind), let why = policyRefusal(m) { o.append("denied", .string(why)) }
            if case .crcMismatch(_, let vppCRC)? = client.session?.availability.status(of: name) {
                o.append("vpp_crc", .string(vppCRC))
            }
            if let c = m.comment { o.append("comment", .string(c)) }
            if m.options.count > 0 { o.append("options", .object(m.options)) }
            o.append("fields", .array(m.fields.map(fieldJSON)))
            if let s = schema.service(for: name) {
                var so = JSONObject([("pattern", .string(s.pattern.rawValue))])
                if let r = s.reply { so.append("reply", .string(r)) }
                if let d = s.streamMessage { so.append("stream", .string(d)) }
                if !s.events.isEmpty { so.append("events", .array(s.events.map { .string($0) })) }
                o.append("service", .object(so))
            }
            if let r = schema.request(answeredBy: name) { o.append("answers", .string(r)) }
            if m.kind == .event, let w = schema.registration(for: name) { o.append("registered_by", .string(w)) }
            o.append("endpoint", endpoint(m, schema))
        } else if let s = schema.structs[name] ?? schema.unions[name] {
            o.append("name", .string(name))
            o.append("kind", .string(schema.unions[name] != nil ? "union" : "typedef"))
            o.append("fields", .array(s.fields.map(fieldJSON)))
        } else if let e = schema.enums[name] {
            o.append("name", .string(name))
            o.append("kind", .string(e.isFlagSet ? "flag-set" : "enum"))
            o.append("width", .string(e.width.rawValue))
            o.append("members", .array(e.members.map { .object(JSONObject([("name", .string($0.name)), ("value", .number(JSONNumber(integer: $0.value)))])) }))
        } else if let a = schema.aliases[name] {
            o.append("name", .string(name))
            o.append("kind", .string("alias"))
            o.append("type", .string(a.type.description))
            if let l = a.length { o.append("length", .number(JSONNumber(integer: l))) }
        } else {
            throw Problem(.unknownMessage, "no message or type \(name) in the loaded API\(suggestion(for: name, in: schema))")
        }
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: .bytes(Array(JSONValue.object(o).jsonText.utf8)))
    }

    private func endpoint(_ m: MessageDef, _ schema: Schema) -> JSONValue {
        if m.kind == .event { return .string("GET /v1/events/\(m.name)") }
        if CallPolicy.refusal(for: m, in: schema) != nil { return .null }
        if m.kind == .dump || m.kind == .getStream { return .string("GET|POST /v1/\(m.name)") }
        return .string((CallPolicy.isReadOnly(m.name) ? "GET|POST" : "POST") + " /v1/\(m.name)")
    }

    private func fieldJSON(_ f: Field) -> JSONValue {
        var o = JSONObject([("name", .string(f.name)), ("type", .string(f.typeName))])
        switch f.cardinality {
        case .single: break
        case .fixed(let n): o.append("length", .number(JSONNumber(integer: n)))
        case .variable(let lf):
            o.append("variable", .bool(true))
            if let lf { o.append("length_field", .string(lf)) }
        }
        if let d = f.defaultValue { o.append("default", d) }
        if let d = f.discriminator { o.append("discriminator", .string(d)) }
        if let c = f.caseLabel { o.append("case", .string(c)) }
        return .object(o)
    }

    /// `GET /openapi.json`: generated from the schema in use, cached until it changes. The
    /// cache holds the codec it was made from and compares by identity: an object
    /// identifier alone could be reused by a later session's codec at the same address.
    func openAPIDocument() throws(Problem) -> HTTPResponse {
        let codec = try requireCodec()
        if let cached = openAPICache.withLock({ c in c.flatMap { $0.codec === codec ? $0.body : nil } }) {
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: .bytes(cached))
        }
        let options = OpenAPIOptions(serverURL: configuration.publicURL)
        let policy = configuration.access.policy
        let generator = OpenAPIGenerator(schema: codec.schema, options: options,
                                         serves: { policy.refusal($0, isRead: $1) == nil })
        let body = Array(generator.jsonText().utf8)
        openAPICache.withLock { $0 = (codec, body) }
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: .bytes(body))
    }
}
