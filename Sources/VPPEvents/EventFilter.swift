import VPPJSON

/// Per-subscriber equality filters on event fields.
///
/// A filter `flags=IF_STATUS_API_FLAG_ADMIN_UP` matches a flag-set array that contains the
/// name; a list matches a flag set holding all of those members (an empty list: no flags);
/// numbers compare by value; dotted names (`neighbor.sw_if_index`) reach into nested objects.
struct EventFilter: Sendable {
    let conditions: [(path: [String], value: JSONValue)]

    init(_ filters: JSONObject) {
        conditions = filters.members.map { (path: $0.key.split(separator: ".").map(String.init), value: $0.value) }
    }

    var isEmpty: Bool { conditions.isEmpty }

    func matches(_ fields: JSONObject) -> Bool {
        for c in conditions {
            guard let actual = Self.lookup(c.path, in: fields), Self.matches(actual, c.value) else { return false }
        }
        return true
    }

    static func lookup(_ path: [String], in object: JSONObject) -> JSONValue? {
        var current: JSONValue = .object(object)
        for key in path {
            guard let next = current[key] else { return nil }
            current = next
        }
        return current
    }

    static func matches(_ actual: JSONValue, _ wanted: JSONValue) -> Bool {
        switch (actual, wanted) {
        case (.array(let items), .array(let want)):
            if want.isEmpty { return items.isEmpty }
            return want.allSatisfy { w in items.contains { equal($0, w) } }
        case (.array(let items), _):
            return items.contains { equal($0, wanted) }
        default:
            return equal(actual, wanted)
        }
    }

    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)):
            if let xi = x.exactInteger, let yi = y.exactInteger { return xi == yi }
            return x.doubleValue == y.doubleValue
        case (.string(let s), .number(let n)), (.number(let n), .string(let s)):
            return s == n.text
        default:
            return a == b
        }
    }
}
