import VPPJSON

extension BuiltinAPI {
    /// One parsed line of the built-in table.
    struct Declaration {
        enum Kind { case message, typedef, union, enumeration, alias }
        let kind: Kind
        let name: String
        /// Messages: the CRC; enums: the width; aliases: the target type.
        let detail: String
        /// Fields (messages, typedefs, unions) as `.api.json` arrays; enum members as pairs.
        let items: [JSONValue]
        /// Alias length.
        let length: Int?
        /// `vl_api_X_t` names the declaration refers to.
        let references: [String]
        /// A message marked `deprecated` after its CRC (`option deprecated;` in the `.api`).
        var isDeprecated = false

        init(_ line: String) throws(DefinitionError) {
            let parts = line.split(separator: "|", maxSplits: 1).map { $0.trimmingSpaces() }
            let head = parts[0].split(separator: " ").map(String.init)
            guard let first = head.first else { throw DefinitionError(line: line) }
            var refs: [String] = []
            switch first {
            case "typedef", "union":
                guard head.count == 2, parts.count == 2 else { throw DefinitionError(line: line) }
                kind = first == "typedef" ? .typedef : .union
                name = head[1]
                detail = ""
                items = try Self.fields(parts[1], line: line, references: &refs)
                length = nil
            case "enum":
                guard head.count == 3, parts.count == 2 else { throw DefinitionError(line: line) }
                kind = .enumeration
                name = head[1]
                detail = head[2]
                var members: [JSONValue] = []
                for m in parts[1].split(separator: ";") {
                    let kv = m.trimmingSpaces().split(separator: "=")
                    guard kv.count == 2, let v = Int(kv[1]) else { throw DefinitionError(line: line) }
                    members.append(.array([.string(String(kv[0])), .number(JSONNumber(integer: v))]))
                }
                items = members
                length = nil
            case "alias":
                guard head.count == 3 else { throw DefinitionError(line: line) }
                kind = .alias
                name = head[1]
                let (type, count) = try Self.splitArray(head[2], line: line)
                detail = type
                length = count.flatMap { Int($0) }
                items = []
                if type.hasPrefix("vl_api_") { refs.append(type) }
            default:
                guard head.count == 2 || (head.count == 3 && head[2] == "deprecated"), parts.count == 2 else {
                    throw DefinitionError(line: line)
                }
                kind = .message
                name = head[0]
                detail = head[1]
                isDeprecated = head.count == 3
                let body = parts[1]
                    .replacing("@req", with: "u16 _vl_msg_id; u32 client_index; u32 context")
                    .replacing("@rep", with: "u16 _vl_msg_id; u32 context; i32 retval")
                items = try Self.fields(body, line: line, references: &refs)
                length = nil
            }
            references = refs
        }

        /// `u8 data[data_len] =0 @case=X; …` → `.api.json` field arrays.
        private static func fields(_ text: String, line: String, references: inout [String]) throws(DefinitionError) -> [JSONValue] {
            var out: [JSONValue] = []
            for raw in text.split(separator: ";") {
                let words = raw.trimmingSpaces().split(separator: " ").map(String.init)
                guard words.count >= 2 else { throw DefinitionError(line: line) }
                let (fieldName, dimension) = try splitArray(words[1], line: line)
                var item: [JSONValue] = [.string(words[0]), .string(fieldName)]
                if words[0].hasPrefix("vl_api_") { references.append(words[0]) }
                if let dimension {
                    if dimension.isEmpty {
                        item.append(.number(JSONNumber(integer: 0)))
                    } else if let n = Int(dimension) {
                        item.append(.number(JSONNumber(integer: n)))
                    } else {
                        item += [.number(JSONNumber(integer: 0)), .string(dimension)]
                    }
                }
                var options = JSONObject()
                for option in words.dropFirst(2) {
                    if option.hasPrefix("=") {
                        guard let v = try? JSONParser.parse(String(option.dropFirst())) else { throw DefinitionError(line: line) }
                        options.append("default", v)
                    } else if option.hasPrefix("@"), let eq = option.firstIndex(of: "=") {
                        options.append(String(option[option.index(after: option.startIndex)..<eq]),
                                       .string(String(option[option.index(after: eq)...])))
                    } else {
                        throw DefinitionError(line: line)
                    }
                }
                if options.count > 0 { item.append(.object(options)) }
                out.append(.array(item))
            }
            return out
        }

        /// `name[dim]` → (name, dim); `name` → (name, nil).
        private static func splitArray(_ word: String, line: String) throws(DefinitionError) -> (String, String?) {
            guard let open = word.firstIndex(of: "[") else { return (word, nil) }
            guard word.hasSuffix("]") else { throw DefinitionError(line: line) }
            return (String(word[..<open]), String(word[word.index(after: open)..<word.index(before: word.endIndex)]))
        }
    }

    /// `vl_api_address_t` → `address`.
    private static func bare(_ type: String) -> String {
        var n = Substring(type)
        if n.hasPrefix("vl_api_") { n = n.dropFirst(7) }
        if n.hasSuffix("_t") { n = n.dropLast(2) }
        return String(n)
    }

    /// The `.api.json` document of one module: its messages, the types they use (imported
    /// types are repeated in every file, as vppapigen does), and its services.
    static func document(_ module: Module, _ typeDecls: [String: Declaration]) throws(DefinitionError) -> JSONValue {
        var messages: [JSONValue] = []
        var names: [String] = []
        var pending: [String] = []
        for line in module.messages {
            let d = try Declaration(line)
            names.append(d.name)
            let options = d.isDeprecated ? JSONObject([("deprecated", .null)]) : JSONObject()
            messages.append(.array([.string(d.name)] + d.items + [.object(JSONObject([("crc", .string("0x" + d.detail)), ("options", .object(options))]))]))
            pending += d.references.map(bare)
        }
        // The types used, transitively, in table order.
        var used = Set<String>()
        while let t = pending.popLast() {
            guard !used.contains(t), let d = typeDecls[t] else { continue }
            used.insert(t)
            pending += d.references.map(bare)
        }
        var typedefs: [JSONValue] = [], unions: [JSONValue] = [], enums: [JSONValue] = []
        var aliases = JSONObject()
        for line in types {
            let d = try Declaration(line)
            guard used.contains(d.name) else { continue }
            switch d.kind {
            case .typedef: typedefs.append(.array([.string(d.name)] + d.items))
            case .union: unions.append(.array([.string(d.name)] + d.items))
            case .enumeration:
                enums.append(.array([.string(d.name)] + d.items + [.object(JSONObject([("enumtype", .string(d.detail))]))]))
            case .alias:
                var a = JSONObject([("type", .string(d.detail))])
                if let n = d.length { a.append("length", .number(JSONNumber(integer: n))) }
                aliases.append(d.name, .object(a))
            case .message: throw DefinitionError(line: line)
            }
        }
        var services = JSONObject()
        for s in module.services {
            let w = s.split(separator: " ").map(String.init)
            guard w.count >= 3, w[1] == "->" else { throw DefinitionError(line: s) }
            var o = JSONObject([("reply", .string(w[2]))])
            if w.count == 5, w[3] == "events" { o.append("events", .array([.string(w[4])])) }
            if w.count == 5, w[3] == "stream" {
                o.append("stream", .bool(true))
                o.append("stream_msg", .string(w[4]))
            }
            services.append(w[0], .object(o))
        }
        for n in names where services[n] == nil {
            if n.hasSuffix("_dump"), names.contains(String(n.dropLast(5)) + "_details") {
                services.append(n, .object(JSONObject([("reply", .string(String(n.dropLast(5)) + "_details")), ("stream", .bool(true))])))
            } else if names.contains(n + "_reply") {
                services.append(n, .object(JSONObject([("reply", .string(n + "_reply"))])))
            }
        }
        return .object(JSONObject([
            ("module", .string(module.name)), ("types", .array(typedefs)), ("messages", .array(messages)),
            ("unions", .array(unions)), ("enums", .array(enums)), ("enumflags", .array([])),
            ("services", .object(services)), ("options", .object(JSONObject([("version", .string(module.version))]))),
            ("aliases", .object(aliases)), ("vl_api_version", .string(module.crc)),
            ("imports", .array(module.imports.map { .string($0) })), ("counters", .array([])), ("paths", .array([])),
        ]))
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces.
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
