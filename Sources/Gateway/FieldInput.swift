import HTTPServer
import VPPCodec
import VPPJSON
import VPPSchema

/// Turns request input into the JSON fields of a message: a JSON body, or query parameters
/// typed by the schema (`sw_if_index=1` is the number 1, `flags=A,B` a flag-set array).
///
/// The codec validates the result; this layer only decides what JSON a text stands for, so
/// that `curl '…?sw_if_index=1'` and `-d '{"sw_if_index":1}'` mean the same.
enum FieldInput {
    /// The header fields the gateway fills itself.
    static let headerFields: Set<String> = ["_vl_msg_id", "client_index", "context"]

    /// A request body as a JSON object; an empty body is `{}`.
    static func body(_ bytes: [UInt8]) throws(Problem) -> JSONObject {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return JSONObject() }
        let value: JSONValue
        switch Result(catching: { () throws(JSONParseError) -> JSONValue in try JSONParser.parse(bytes) }) {
        case .success(let v): value = v
        case .failure(let e): throw Problem(.malformedJSON, "request body: \(e)")
        }
        guard case .object(let o) = value else {
            throw Problem(.malformedJSON, "request body must be a JSON object of the message's fields, got \(value.typeName)")
        }
        return o
    }

    /// Query parameters as fields of `fields`; names in `ignoring` are left alone, and
    /// unknown names are an error naming them.
    static func query(_ query: [(name: String, value: String)], fields: [Field], schema: Schema,
                      ignoring: Set<String> = []) throws(Problem) -> JSONObject {
        var out = JSONObject()
        var seen: Set<String> = []
        for (name, value) in query where !ignoring.contains(name) {
            guard let field = fields.first(where: { $0.name == name }), !headerFields.contains(name) else {
                let known = fields.map(\.name).filter { !headerFields.contains($0) }
                let hint = known.isEmpty ? "this message takes no fields" : "known: \(known.joined(separator: ", "))"
                throw Problem(.invalidField, "unknown query parameter \"\(name)\"; \(hint)", pointer: "/" + name)
            }
            let kind = ValueKind(field, schema: schema)
            if seen.contains(name) {
                guard kind.isList, let i = out.members.firstIndex(where: { $0.key == name }),
                      case .array(var items) = out.members[i].value else {
                    throw Problem(.invalidField, "query parameter \"\(name)\" is given more than once", pointer: "/" + name)
                }
                items += try kind.listItems(value, name: name)
                out.members[i].value = .array(items)
                continue
            }
            seen.insert(name)
            out.append(name, try kind.value(value, name: name))
        }
        return out
    }

    /// How a field's text is read.
    enum ValueKind {
        case integer, number, boolean, text, flagSet, plainEnum, list(element: Element), json

        enum Element { case integer, number, boolean, text }

        init(_ field: Field, schema: Schema) {
            let base = Self.base(field.type, schema: schema)
            switch field.cardinality {
            case .single:
                self = base
            case .fixed, .variable:
                if field.type == .string || base == .text { self = .text; return }  // strings, u8 hex
                switch base {
                case .integer: self = .list(element: .integer)
                case .number: self = .list(element: .number)
                case .boolean: self = .list(element: .boolean)
                default: self = .json
                }
            }
        }

        static func base(_ type: TypeRef, schema: Schema) -> ValueKind {
            switch type {
            case .scalar(let s):
                switch s {
                case .bool: return .boolean
                case .f64: return .number
                default: return .integer
                }
            case .string: return .text
            case .enumeration(let e): return schema.enums[e]?.isFlagSet == true ? .flagSet : .plainEnum
            case .alias(let a):
                guard let alias = schema.aliases[a] else { return .json }
                if alias.length != nil { return alias.type == .scalar(.u8) || alias.type == .string ? .text : .json }
                return base(alias.type, schema: schema)
            case .structure(let s):
                // address, prefix and their kin are written as text.
                return ["address", "prefix", "ip4_prefix", "ip6_prefix"].contains(s) ? .text : .json
            case .union:
                return .json
            }
        }

        static func == (a: ValueKind, b: ValueKind) -> Bool {
            switch (a, b) {
            case (.integer, .integer), (.number, .number), (.boolean, .boolean), (.text, .text),
                 (.flagSet, .flagSet), (.plainEnum, .plainEnum), (.json, .json): true
            default: false
            }
        }

        var isList: Bool {
            switch self {
            case .flagSet, .list: true
            default: false
            }
        }

        func value(_ text: String, name: String) throws(Problem) -> JSONValue {
            switch self {
            case .integer: return try Self.integer(text, name: name)
            case .number:
                guard Double(text) != nil, let v = try? JSONParser.parse(text), case .number = v else {
                    throw Problem(.invalidField, "query parameter \"\(name)\": expected a number, got \"\(text.prefix(60))\"", pointer: "/" + name)
                }
                return v
            case .boolean:
                switch text.lowercased() {
                case "true", "1", "yes", "on": return .bool(true)
                case "false", "0", "no", "off": return .bool(false)
                default:
                    throw Problem(.invalidField, "query parameter \"\(name)\": expected true or false (or 1/0, yes/no, on/off), got \"\(text.prefix(60))\"", pointer: "/" + name)
                }
            case .text: return .string(text)
            case .plainEnum: return Self.nameOrNumber(text)
            case .flagSet, .list: return .array(try listItems(text, name: name))
            case .json:
                switch Result(catching: { () throws(JSONParseError) -> JSONValue in try JSONParser.parse(text) }) {
                case .success(let v): return v
                case .failure(let e):
                    throw Problem(.invalidField, "query parameter \"\(name)\" must be JSON for this type: \(e)", pointer: "/" + name)
                }
            }
        }

        func listItems(_ text: String, name: String) throws(Problem) -> [JSONValue] {
            let parts = text.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
            var items: [JSONValue] = []
            for p in parts {
                switch self {
                case .list(.integer): items.append(try Self.integer(p, name: name))
                case .list(.number): items.append(try ValueKind.number.value(p, name: name))
                case .list(.boolean): items.append(try ValueKind.boolean.value(p, name: name))
                case .list(.text): items.append(.string(p))
                default: items.append(Self.nameOrNumber(p))
                }
            }
            return items
        }

        static func integer(_ text: String, name: String) throws(Problem) -> JSONValue {
            var digits = Substring(text)
            if digits.hasPrefix("-") { digits = digits.dropFirst() }
            guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
                throw Problem(.invalidField, "query parameter \"\(name)\": expected an integer, got \"\(text.prefix(60))\"", pointer: "/" + name)
            }
            return .number(JSONNumber(text: text))
        }

        static func nameOrNumber(_ text: String) -> JSONValue {
            let digits = text.hasPrefix("-") ? Substring(text.dropFirst()) : Substring(text)
            if !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), digits.count < 20 {
                return .number(JSONNumber(text: text))
            }
            return .string(text)
        }
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
