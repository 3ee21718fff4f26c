import VPPJSON

/// An immutable, data-driven description of a VPP API: every message, type, enum, alias and
/// service loaded from `.api.json` documents.
///
/// Built once by `SchemaLoader` and then shared freely across tasks (`Sendable` value).
/// Nothing is generated from it at build time: a new plugin's `.api.json` is enough for the
/// gateway to speak its messages.
public struct Schema: Sendable {
    /// Messages by name.
    public let messages: [String: MessageDef]
    /// Typedefs by name.
    public let structs: [String: StructDef]
    /// Unions by name.
    public let unions: [String: StructDef]
    /// Enums and enumflags by name.
    public let enums: [String: EnumDef]
    /// Aliases by name.
    public let aliases: [String: AliasDef]
    /// Services by request message name.
    public let services: [String: Service]
    /// Modules in load order.
    public let modules: [ModuleInfo]

    private let byNameCRC: [String: String]
    private let replyToRequest: [String: String]
    private let eventToRegistration: [String: String]

    init(messages: [String: MessageDef], structs: [String: StructDef], unions: [String: StructDef],
         enums: [String: EnumDef], aliases: [String: AliasDef], services: [String: Service],
         modules: [ModuleInfo]) {
        self.messages = messages
        self.structs = structs
        self.unions = unions
        self.enums = enums
        self.aliases = aliases
        self.services = services
        self.modules = modules
        var byNameCRC: [String: String] = [:]
        for m in messages.values { byNameCRC[m.nameCRC] = m.name }
        self.byNameCRC = byNameCRC
        var replyToRequest: [String: String] = [:]
        var eventToRegistration: [String: String] = [:]
        for s in services.values.sorted(by: { $0.request < $1.request }) {
            if let r = s.reply, replyToRequest[r] == nil { replyToRequest[r] = s.request }
            if let d = s.streamMessage, replyToRequest[d] == nil { replyToRequest[d] = s.request }
            for e in s.events where eventToRegistration[e] == nil { eventToRegistration[e] = s.request }
        }
        self.replyToRequest = replyToRequest
        self.eventToRegistration = eventToRegistration
    }

    /// The empty schema.
    public static let empty = Schema(messages: [:], structs: [:], unions: [:], enums: [:], aliases: [:],
                                     services: [:], modules: [])

    /// The message named `name`.
    public func message(_ name: String) -> MessageDef? { messages[name] }

    /// The message with VPP's table key `<name>_<crc>`.
    public func message(nameCRC: String) -> MessageDef? {
        byNameCRC[nameCRC].flatMap { messages[$0] }
    }

    /// The service a request message starts.
    public func service(for request: String) -> Service? { services[request] }

    /// The request whose reply (or details) `name` is.
    public func request(answeredBy name: String) -> String? { replyToRequest[name] }

    /// The `want_*` message that registers for `event`.
    ///
    /// Taken from services' `events` lists; events no service lists are matched by VPP's naming
    /// convention (`X_event` ← `want_X_events`), because custom plugins often omit the
    /// declaration (as `want_l2_macs_events2` does in VPP itself).
    public func registration(for event: String) -> String? {
        if let r = eventToRegistration[event] { return r }
        guard event.hasSuffix("_event") else { return nil }
        let stem = String(event.dropLast("_event".count))
        for candidate in ["want_\(stem)_events", "want_\(stem)s", "want_\(stem)_event"] where messages[candidate] != nil {
            return candidate
        }
        return nil
    }

    /// Message names sorted, for stable listings.
    public var messageNames: [String] { messages.keys.sorted() }

    /// The kind of type a `vl_api_X_t` (or scalar) name refers to, if it is known.
    public func resolve(typeName: String) -> TypeRef? {
        if let s = ScalarType(rawValue: typeName) { return .scalar(s) }
        if typeName == "string" { return .string }
        let bare = Self.bareTypeName(typeName)
        if structs[bare] != nil { return .structure(bare) }
        if unions[bare] != nil { return .union(bare) }
        if enums[bare] != nil { return .enumeration(bare) }
        if aliases[bare] != nil { return .alias(bare) }
        return nil
    }

    /// `vl_api_address_t` → `address`; other names are returned unchanged.
    public static func bareTypeName(_ name: String) -> String {
        var n = Substring(name)
        if n.hasPrefix("vl_api_") { n = n.dropFirst(7) }
        if n.hasSuffix("_t") { n = n.dropLast(2) }
        return String(n)
    }

    /// A new schema with `other`'s definitions added. Where both define a message, `self`
    /// wins: callers put the live VPP's schema first so that its CRCs are authoritative.
    public func merging(_ other: Schema) -> Schema {
        Schema(messages: messages.merging(other.messages) { a, _ in a },
               structs: structs.merging(other.structs) { a, _ in a },
               unions: unions.merging(other.unions) { a, _ in a },
               enums: enums.merging(other.enums) { a, _ in a },
               aliases: aliases.merging(other.aliases) { a, _ in a },
               services: services.merging(other.services) { a, _ in a },
               modules: modules + other.modules.filter { m in !modules.contains { $0.name == m.name } })
    }
}
