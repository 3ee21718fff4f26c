import VPPJSON

/// Definitions as read from documents, before type references are resolved.
///
/// Kept separate from resolution so that a type may be used in one file before the file that
/// declares it is loaded (load order of a folder must not matter).
struct RawDefinitions {
    struct Entry {
        var body: [JSONValue]
        var signature: String
        var source: String
    }

    struct RawEnum {
        var members: [(String, Int64)]
        var width: String
        var flags: Bool
        var source: String
        var signature: String { "\(flags ? "flags" : "enum"):\(width):" + members.map { "\($0.0)=\($0.1)" }.joined(separator: ",") }
    }

    struct RawAlias {
        var type: String
        var length: Int?
        var source: String
    }

    struct RawMessage {
        var entry: Entry
        var crc: String
        var options: JSONObject
        var comment: String?
        var module: String
    }

    var structs: [String: Entry] = [:]
    var unions: [String: Entry] = [:]
    var enums: [String: RawEnum] = [:]
    var aliases: [String: RawAlias] = [:]
    var messages: [String: RawMessage] = [:]
    var services: [String: (JSONObject, String)] = [:]
    var modules: [ModuleInfo] = []

    /// Adds one module document; returns the problems found in it.
    mutating func add(_ doc: JSONObject, source: String, module: String) -> [SchemaProblem] {
        var problems: [SchemaProblem] = []
        func problem(_ reason: String) { problems.append(SchemaProblem(source: source, reason: reason)) }

        for (section, isUnion) in [("types", false), ("unions", true)] {
            for item in doc[section]?.arrayValue ?? [] {
                guard let (name, body, _) = splitDefinition(item) else {
                    problem("malformed entry in \"\(section)\": \(item.jsonText.prefix(120))")
                    continue
                }
                let entry = Entry(body: body, signature: JSONValue.array(body).jsonText, source: source)
                let existing = isUnion ? unions[name] : structs[name]
                if let existing {
                    if existing.signature != entry.signature {
                        problem("\(isUnion ? "union" : "typedef") \(name) conflicts with its definition in \(existing.source)")
                    }
                } else if isUnion {
                    unions[name] = entry
                } else {
                    structs[name] = entry
                }
            }
        }
        for (section, flags) in [("enums", false), ("enumflags", true)] {
            for item in doc[section]?.arrayValue ?? [] {
                guard let (name, body, trailer) = splitDefinition(item) else {
                    problem("malformed entry in \"\(section)\": \(item.jsonText.prefix(120))")
                    continue
                }
                var members: [(String, Int64)] = []
                var ok = true
                for m in body {
                    guard let pair = m.arrayValue, pair.count == 2, let n = pair[0].stringValue,
                          let value = pair[1].numberValue?.int64Value
                    else { ok = false; break }
                    members.append((n, value))
                }
                let width = trailer?["enumtype"]?.stringValue ?? "u32"
                guard ok, let w = ScalarType(rawValue: width), w.isInteger else {
                    problem("malformed \(section) \(name)")
                    continue
                }
                let e = RawEnum(members: members, width: w.rawValue, flags: flags, source: source)
                if let existing = enums[name] {
                    if existing.signature != e.signature {
                        problem("enum \(name) conflicts with its definition in \(existing.source)")
                    }
                } else {
                    enums[name] = e
                }
            }
        }
        if let aliasObj = doc["aliases"]?.objectValue {
            for (name, def) in aliasObj {
                guard let t = def["type"]?.stringValue else {
                    problem("alias \(name) has no type")
                    continue
                }
                let length = def["length"]?.numberValue?.int64Value.map { Int($0) }
                let a = RawAlias(type: t, length: length, source: source)
                if let existing = aliases[name] {
                    if existing.type != a.type || existing.length != a.length {
                        problem("alias \(name) conflicts with its definition in \(existing.source)")
                    }
                } else {
                    aliases[name] = a
                }
            }
        }
        var moduleMessages: [String] = []
        for item in doc["messages"]?.arrayValue ?? [] {
            guard let (name, body, trailer) = splitDefinition(item),
                  let crcText = trailer?["crc"]?.stringValue,
                  let crc = normaliseCRC(crcText)
            else {
                problem("malformed message \(item.arrayValue?.first?.stringValue ?? "?"): needs a name, fields and a crc")
                continue
            }
            let entry = Entry(body: body, signature: crc + JSONValue.array(body).jsonText, source: source)
            moduleMessages.append(name)
            if let existing = messages[name] {
                if existing.entry.signature != entry.signature {
                    problem("message \(name) (crc \(crc)) conflicts with its definition in \(existing.entry.source) (crc \(existing.crc))")
                }
                continue
            }
            messages[name] = RawMessage(entry: entry, crc: crc,
                                        options: trailer?["options"]?.objectValue ?? JSONObject(),
                                        comment: trailer?["comment"]?.stringValue, module: module)
        }
        if let svc = doc["services"]?.objectValue {
            for (request, def) in svc {
                guard let d = def.objectValue else {
                    problem("malformed service \(request)")
                    continue
                }
                if services[request] == nil { services[request] = (d, source) }
            }
        }
        if !modules.contains(where: { $0.name == module }) {
            let version = doc["options"]?["version"]?.stringValue
            modules.append(ModuleInfo(name: module, version: version,
                                      crc: doc["vl_api_version"]?.stringValue.flatMap(normaliseCRC),
                                      messages: moduleMessages, source: source))
        }
        return problems
    }

    /// `[name, item..., {trailer}?]` → (name, items, trailer).
    private func splitDefinition(_ item: JSONValue) -> (String, [JSONValue], JSONObject?)? {
        guard let arr = item.arrayValue, let name = arr.first?.stringValue else { return nil }
        var body = Array(arr.dropFirst())
        var trailer: JSONObject?
        if let last = body.last?.objectValue {
            trailer = last
            body.removeLast()
        }
        return (name, body, trailer)
    }
}

/// `"0x51077d14"` → `"51077d14"` (8 lowercase hex digits), nil when not a 32-bit hex value.
func normaliseCRC(_ text: String) -> String? {
    var t = Substring(text.lowercased())
    if t.hasPrefix("0x") { t = t.dropFirst(2) }
    guard !t.isEmpty, t.count <= 8, t.utf8.allSatisfy({ hexValue($0) != nil }) else { return nil }
    return String(repeating: "0", count: 8 - t.count) + t
}
