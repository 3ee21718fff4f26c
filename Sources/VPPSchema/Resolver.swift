import VPPJSON

/// Turns raw definitions into a resolved `Schema`: type names to `TypeRef`s, field options
/// normalised, services completed with VPP's implicit ones, and message kinds assigned.
struct Resolver {
    let raw: RawDefinitions
    var problems: [SchemaProblem] = []

    init(raw: RawDefinitions) {
        self.raw = raw
    }

    mutating func resolve() -> Schema {
        var enums: [String: EnumDef] = [:]
        for (name, e) in raw.enums {
            let width = ScalarType(rawValue: e.width) ?? .u32
            enums[name] = EnumDef(name: name, members: e.members.map { (name: $0.0, value: $0.1) },
                                  width: width, declaredAsFlags: e.flags, source: e.source)
        }
        var aliases: [String: AliasDef] = [:]
        for (name, a) in raw.aliases {
            guard let t = typeRef(a.type) else {
                problems.append(SchemaProblem(source: a.source, reason: "alias \(name) refers to unknown type \(a.type)"))
                continue
            }
            aliases[name] = AliasDef(name: name, type: t, length: a.length, source: a.source)
        }
        var structs: [String: StructDef] = [:]
        for (name, s) in raw.structs {
            structs[name] = StructDef(name: name, fields: fields(s.body, owner: "typedef \(name)", source: s.source), source: s.source)
        }
        var unions: [String: StructDef] = [:]
        for (name, s) in raw.unions {
            unions[name] = StructDef(name: name, fields: fields(s.body, owner: "union \(name)", source: s.source), source: s.source)
        }
        var messages: [String: MessageDef] = [:]
        for (name, m) in raw.messages {
            let f = fields(m.entry.body, owner: "message \(name)", source: m.entry.source)
            guard f.first?.name == "_vl_msg_id" else {
                problems.append(SchemaProblem(source: m.entry.source, reason: "message \(name) does not start with _vl_msg_id"))
                continue
            }
            messages[name] = MessageDef(name: name, crc: m.crc, fields: f, options: m.options, comment: m.comment,
                                        module: m.module, source: m.entry.source, kind: .request)
        }
        let services = buildServices(messages)
        assignKinds(&messages, services: services)
        return Schema(messages: messages, structs: structs, unions: unions, enums: enums, aliases: aliases,
                      services: services, modules: raw.modules)
    }

    private func typeRef(_ name: String) -> TypeRef? {
        if let s = ScalarType(rawValue: name) { return .scalar(s) }
        if name == "string" { return .string }
        let bare = Schema.bareTypeName(name)
        if raw.structs[bare] != nil { return .structure(bare) }
        if raw.unions[bare] != nil { return .union(bare) }
        if raw.enums[bare] != nil { return .enumeration(bare) }
        if raw.aliases[bare] != nil { return .alias(bare) }
        return nil
    }

    /// Follows aliases to the scalar underneath, for default normalisation.
    private func baseScalar(_ t: TypeRef) -> ScalarType? {
        var t = t
        for _ in 0..<16 {
            switch t {
            case .scalar(let s): return s
            case .alias(let a):
                guard let next = raw.aliases[a].flatMap({ typeRef($0.type) }) else { return nil }
                t = next
            default: return nil
            }
        }
        return nil
    }

    private mutating func fields(_ body: [JSONValue], owner: String, source: String) -> [Field] {
        var out: [Field] = []
        for item in body {
            guard let arr = item.arrayValue, arr.count >= 2,
                  let typeName = arr[0].stringValue, let name = arr[1].stringValue else {
                problems.append(SchemaProblem(source: source, reason: "\(owner): malformed field \(item.jsonText.prefix(80))"))
                continue
            }
            var length: Int?
            var lengthField: String?
            var options = JSONObject()
            for extra in arr.dropFirst(2) {
                switch extra {
                case .number(let n): length = n.int64Value.map { Int($0) }
                case .string(let s): lengthField = s
                case .object(let o): options = o
                default: break
                }
            }
            guard let type = typeRef(typeName) else {
                problems.append(SchemaProblem(source: source, reason: "\(owner): field \(name) has unknown type \(typeName)"))
                continue
            }
            let cardinality: Cardinality
            if let length {
                if length < 0 {
                    problems.append(SchemaProblem(source: source, reason: "\(owner): field \(name) has a negative length"))
                    continue
                }
                cardinality = length > 0 ? .fixed(length) : .variable(lengthField: lengthField)
            } else {
                cardinality = .single
            }
            if let lf = lengthField {
                guard let lenDef = out.first(where: { $0.name == lf }), lenDef.cardinality == .single,
                      let s = baseScalar(lenDef.type), s.isInteger, !s.isSigned || s == .i32 else {
                    problems.append(SchemaProblem(source: source, reason: "\(owner): length field \(lf) of \(name) is not an earlier integer field"))
                    continue
                }
            }
            var defaultValue = options["default"]
            if let d = defaultValue, baseScalar(type) == .bool {
                defaultValue = .bool(Self.truthiness(d))
            }
            out.append(Field(name: name, type: type, typeName: typeName, cardinality: cardinality,
                             defaultValue: defaultValue,
                             discriminator: options["discriminator"]?.stringValue,
                             caseLabel: options["case"]?.stringValue,
                             limit: options["limit"]?.numberValue?.int64Value.map { Int($0) }))
        }
        return out
    }

    /// vppapigen writes bool defaults as `"true"`, `false` or integers; vpp_papi uses Python
    /// truthiness, so `4294967295` means true (`sw_interface_set_vpath.enable`).
    static func truthiness(_ v: JSONValue) -> Bool {
        switch v {
        case .bool(let b): b
        case .string(let s): s.lowercased() != "false" && !s.isEmpty && s != "0"
        case .number(let n): (n.doubleValue ?? 0) != 0
        case .null: false
        case .array(let a): !a.isEmpty
        case .object(let o): o.count > 0
        }
    }

    private mutating func buildServices(_ messages: [String: MessageDef]) -> [String: Service] {
        var services: [String: Service] = [:]
        for (request, (def, source)) in raw.services {
            guard messages[request] != nil else { continue }
            let declaredReply = def["reply"]?.stringValue
            var replyName = (declaredReply == nil || declaredReply == "null") ? nil : declaredReply
            let stream = def["stream"]?.boolValueLenient ?? false
            let streamMsg = def["stream_msg"]?.stringValue
            let events = def["events"]?.arrayValue?.compactMap(\.stringValue) ?? []
            for m in [replyName, streamMsg].compactMap({ $0 }) + events where messages[m] == nil {
                problems.append(SchemaProblem(source: source, reason: "service \(request) names unknown message \(m)"))
            }
            let pattern: Service.Pattern
            if replyName == nil {
                pattern = .noReply
            } else if stream && streamMsg != nil {
                pattern = .getStream
            } else if stream {
                pattern = .dump
            } else if !events.isEmpty {
                // gre_tunnel_dump_v2 "events" gre_tunnel_details_v2 (src/plugins/gre/gre.api:23-29,
                // "a workaround for a broken dump"): the "events" carry a context, so they are
                // details. The handler sends them and never its autoreply
                // (gre_api.c, vl_api_gre_tunnel_dump_v2_t_handler), so the call is a dump,
                // closed by control_ping like any other: waiting for the reply would never end.
                if let first = events.first, events.allSatisfy({ messages[$0]?.hasContext == true }) {
                    pattern = .dump
                    replyName = first
                } else {
                    pattern = .events
                }
            } else {
                pattern = .requestReply
            }
            services[request] = Service(request: request, reply: replyName, streamMessage: streamMsg,
                                        events: pattern == .events ? events : [], pattern: pattern)
        }
        // vppapigen's implicit services (vppapigen.py:1155-1214): X → X_reply, X_dump → X_details.
        // A message some explicit service already answers with (qos_mark_details is the
        // details of qos_mark_dump, though a qos_mark_details_reply also exists) is not a
        // request as well: answers win.
        let answers = Set(services.values.flatMap { [$0.reply, $0.streamMessage].compactMap { $0 } + $0.events })
        for name in messages.keys.sorted() where services[name] == nil && !answers.contains(name) {
            if name.hasSuffix("_dump"), messages[String(name.dropLast(5)) + "_details"] != nil {
                services[name] = Service(request: name, reply: String(name.dropLast(5)) + "_details",
                                         streamMessage: nil, events: [], pattern: .dump)
            } else if messages[name + "_reply"] != nil {
                services[name] = Service(request: name, reply: name + "_reply", streamMessage: nil, events: [],
                                         pattern: .requestReply)
            }
        }
        return services
    }

    private func assignKinds(_ messages: inout [String: MessageDef], services: [String: Service]) {
        for (name, m) in messages {
            let names = Set(m.fields.map(\.name))
            let kind: MessageKind
            if !names.contains("context") {
                kind = .event
            } else if name.hasSuffix("_details") {
                kind = .details
            } else if names.contains("retval") || name.hasSuffix("_reply") {
                kind = .reply
            } else {
                kind = .request
            }
            messages[name]?.kind = kind
        }
        // Requests first, then answers, in a fixed order, so a message in two roles always
        // ends up with the answer's kind.
        let ordered = services.values.sorted { $0.request < $1.request }
        for s in ordered {
            switch s.pattern {
            case .requestReply, .noReply: messages[s.request]?.kind = .request
            case .dump: messages[s.request]?.kind = .dump
            case .getStream: messages[s.request]?.kind = .getStream
            case .events: messages[s.request]?.kind = .eventRegistration
            }
        }
        for s in ordered {
            if let r = s.reply { messages[r]?.kind = s.pattern == .dump ? .details : .reply }
            if let d = s.streamMessage { messages[d]?.kind = .details }
            for e in s.events { messages[e]?.kind = .event }
        }
    }
}

extension JSONValue {
    /// A boolean read the way vppapigen's JSON writes it (`true` or a number).
    var boolValueLenient: Bool? {
        switch self {
        case .bool(let b): b
        case .number(let n): (n.doubleValue ?? 0) != 0
        case .string(let s): s == "true"
        default: nil
        }
    }
}
