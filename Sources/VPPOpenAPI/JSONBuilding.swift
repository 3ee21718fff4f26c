import VPPJSON

// Small helpers for building the document as `JSONValue` trees, and a pretty printer.
//
// Objects keep insertion order, so the generator decides the output order everywhere (sorted
// by name, declaration order for fields): the same schema always gives the same text.

/// An object from ordered members; members whose value is nil are left out.
func object(_ members: [(String, JSONValue?)]) -> JSONValue {
    var o = JSONObject()
    for (k, v) in members {
        if let v { o.append(k, v) }
    }
    return .object(o)
}

/// Texts joined into one paragraph: each but the last ends with a full stop.
func sentences(_ parts: [String?]) -> String {
    let texts = parts.compactMap { $0?.trimmed }.filter { !$0.isEmpty }
    return texts.enumerated().map { i, t in
        guard i < texts.count - 1, let last = t.last, !".!?:)".contains(last) else { return t }
        return t + "."
    }.joined(separator: " ")
}

/// A JSON string.
func str(_ s: String) -> JSONValue { .string(s) }

/// A JSON integer.
func int<T: BinaryInteger>(_ v: T) -> JSONValue { .number(JSONNumber(integer: v)) }

/// A JSON array of strings.
func strings(_ a: [String]) -> JSONValue { .array(a.map { .string($0) }) }

/// `{"$ref": "#/components/<section>/<name>"}`.
func ref(_ name: String, section: String = "schemas") -> JSONValue {
    object([("$ref", str("#/components/\(section)/\(name)"))])
}

extension JSONValue {
    /// The value with `key` set (replaced in place when present, else appended); objects only.
    func setting(_ key: String, _ value: JSONValue?) -> JSONValue {
        guard case .object(var o) = self, let value else { return self }
        if let i = o.members.firstIndex(where: { $0.key == key }) {
            o.members[i].value = value
        } else {
            o.append(key, value)
        }
        return .object(o)
    }

    /// Indented JSON text (two spaces), for humans and diffs; same content as `jsonText`.
    public var prettyJSONText: String {
        var out: [UInt8] = []
        out.reserveCapacity(1 << 16)
        PrettyPrinter.write(self, indent: 0, into: &out)
        out.append(UInt8(ascii: "\n"))
        return String(decoding: out, as: UTF8.self)
    }
}

enum PrettyPrinter {
    static func write(_ v: JSONValue, indent: Int, into out: inout [UInt8]) {
        switch v {
        case .array(let a) where !a.isEmpty:
            out.append(UInt8(ascii: "["))
            for (i, e) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1, &out)
                write(e, indent: indent + 1, into: &out)
            }
            newline(indent, &out)
            out.append(UInt8(ascii: "]"))
        case .object(let o) where o.count > 0:
            out.append(UInt8(ascii: "{"))
            for (i, m) in o.members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(indent + 1, &out)
                var w = JSONWriter(capacity: m.key.utf8.count + 4)
                w.string(m.key)
                out.append(contentsOf: w.bytes)
                out.append(contentsOf: [UInt8(ascii: ":"), UInt8(ascii: " ")])
                write(m.value, indent: indent + 1, into: &out)
            }
            newline(indent, &out)
            out.append(UInt8(ascii: "}"))
        default:
            var w = JSONWriter(capacity: 32)
            w.value(v)
            out.append(contentsOf: w.bytes)
        }
    }

    private static func newline(_ indent: Int, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * 2))
    }
}
