import VPPJSON

/// The built-in scalar types of the VPP API language.
///
/// Integers travel big-endian; `f64` travels in host order (little-endian on every platform
/// VPP runs on: `clib_net_to_host_f64` is the identity, src/vppinfra/byte_order.h).
public enum ScalarType: String, Sendable, Hashable, CaseIterable {
    case u8, i8, u16, i16, u32, i32, u64, i64, f64, bool

    /// Size on the wire in bytes.
    public var size: Int {
        switch self {
        case .u8, .i8, .bool: 1
        case .u16, .i16: 2
        case .u32, .i32: 4
        case .u64, .i64, .f64: 8
        }
    }

    /// True for the signed integer types.
    public var isSigned: Bool {
        switch self {
        case .i8, .i16, .i32, .i64: true
        default: false
        }
    }

    /// True for integer types (not bool, not f64).
    public var isInteger: Bool {
        self != .bool && self != .f64
    }
}

/// What a field's type refers to, after `vl_api_X_t` names are resolved.
public enum TypeRef: Sendable, Hashable, CustomStringConvertible {
    /// A built-in scalar.
    case scalar(ScalarType)
    /// `string`: fixed (`string x[N]`) or variable (`string x[]`, u32 length + bytes).
    case string
    /// An enum or enumflags, by name (without `vl_api_` / `_t`).
    case enumeration(String)
    /// A typedef (struct), by name.
    case structure(String)
    /// A union, by name.
    case union(String)
    /// An alias, by name.
    case alias(String)

    public var description: String {
        switch self {
        case .scalar(let s): s.rawValue
        case .string: "string"
        case .enumeration(let n): "vl_api_\(n)_t (enum)"
        case .structure(let n): "vl_api_\(n)_t"
        case .union(let n): "vl_api_\(n)_t (union)"
        case .alias(let n): "vl_api_\(n)_t (alias)"
        }
    }
}

/// How many values a field holds.
public enum Cardinality: Sendable, Hashable {
    /// One value.
    case single
    /// Exactly N values (`T x[N]`; for `string x[N]`, N bytes).
    case fixed(Int)
    /// A variable-length array whose element count is in an earlier sibling field
    /// (`T x[len]`), or, for `string x[]` and legacy `T x[0]` without a length field,
    /// nil: a variable string carries its own u32 length.
    case variable(lengthField: String?)
}

/// One field of a message, typedef or union, as declared in `.api.json`.
public struct Field: Sendable, Hashable {
    /// The field name.
    public let name: String
    /// The field's element type.
    public let type: TypeRef
    /// The type's name as written in the file (`vl_api_address_t`, `u32`), for display.
    public let typeName: String
    /// Single, fixed array or variable array.
    public let cardinality: Cardinality
    /// The `[default=…]` option, normalised: bools become JSON booleans (vppapigen writes
    /// `"true"` strings and sometimes integers), other values stay as written.
    public let defaultValue: JSONValue?
    /// For a union-typed field: the sibling enum field that selects the active arm.
    public let discriminator: String?
    /// For a union arm: the enumerator name that selects it.
    public let caseLabel: String?
    /// The `limit` option (maximum string length), when present.
    public let limit: Int?

    /// Creates a field.
    public init(name: String, type: TypeRef, typeName: String, cardinality: Cardinality,
                defaultValue: JSONValue? = nil, discriminator: String? = nil,
                caseLabel: String? = nil, limit: Int? = nil) {
        self.name = name
        self.type = type
        self.typeName = typeName
        self.cardinality = cardinality
        self.defaultValue = defaultValue
        self.discriminator = discriminator
        self.caseLabel = caseLabel
        self.limit = limit
    }

    public static func == (a: Field, b: Field) -> Bool {
        a.name == b.name && a.type == b.type && a.cardinality == b.cardinality
            && a.defaultValue?.jsonText == b.defaultValue?.jsonText
            && a.discriminator == b.discriminator && a.caseLabel == b.caseLabel && a.limit == b.limit
    }

    public func hash(into h: inout Hasher) {
        h.combine(name)
        h.combine(type)
        h.combine(cardinality)
    }
}

/// A typedef or a union: an ordered list of fields.
public struct StructDef: Sendable, Equatable {
    /// Type name without `vl_api_` / `_t`.
    public let name: String
    /// Fields in declaration order (for a union: its arms).
    public let fields: [Field]
    /// The file it was first loaded from.
    public let source: String

    /// Creates a struct or union definition.
    public init(name: String, fields: [Field], source: String) {
        self.name = name
        self.fields = fields
        self.source = source
    }

    /// Equality of layout only: the same type repeated in another file is the same type.
    public static func == (a: StructDef, b: StructDef) -> Bool {
        a.name == b.name && a.fields == b.fields
    }
}

/// An enum or enumflags declaration.
public struct EnumDef: Sendable, Equatable {
    /// Type name without `vl_api_` / `_t`.
    public let name: String
    /// Members in declaration order with their values.
    public let members: [(name: String, value: Int64)]
    /// The wire integer type (`enumtype`, u32 when absent).
    public let width: ScalarType
    /// True when declared in the `enumflags` section.
    public let declaredAsFlags: Bool
    /// The file it was first loaded from.
    public let source: String

    /// Creates an enum definition.
    public init(name: String, members: [(name: String, value: Int64)], width: ScalarType,
                declaredAsFlags: Bool, source: String) {
        self.name = name
        self.members = members
        self.width = width
        self.declaredAsFlags = declaredAsFlags
        self.source = source
    }

    /// Whether values of this type are rendered as a set of flags (a JSON array of names).
    ///
    /// The rule of the canonical JSON (vectors README §3.3): every `enumflags` type, and every
    /// plain enum whose name contains "flag" (any case) and whose non-zero member values are
    /// all distinct powers of two. VPP declares ~24 flag sets as plain enums
    /// (`if_status_flags`, `fib_path_flags`, …); treating them as plain enums would lose
    /// combined bits, as VPP's own C tojson does ("Invalid ENUM").
    public var isFlagSet: Bool {
        if declaredAsFlags { return true }
        guard name.lowercased().contains("flag") else { return false }
        var seen = Set<Int64>()
        for m in members where m.value != 0 {
            guard m.value > 0, m.value & (m.value - 1) == 0, seen.insert(m.value).inserted else { return false }
        }
        return true
    }

    /// The member whose value is `value` (first in declaration order).
    public func member(value: Int64) -> String? {
        members.first { $0.value == value }?.name
    }

    /// The value of the member called `name`.
    public func value(of name: String) -> Int64? {
        members.first { $0.name == name }?.value
    }

    public static func == (a: EnumDef, b: EnumDef) -> Bool {
        a.name == b.name && a.width == b.width && a.declaredAsFlags == b.declaredAsFlags
            && a.members.count == b.members.count
            && zip(a.members, b.members).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}

/// An alias: another name for a type, optionally as a fixed array (`ip4_address` = `u8[4]`).
public struct AliasDef: Sendable, Equatable {
    /// Alias name without `vl_api_` / `_t`.
    public let name: String
    /// The aliased type.
    public let type: TypeRef
    /// Fixed array length, when the alias is an array.
    public let length: Int?
    /// The file it was first loaded from.
    public let source: String

    /// Creates an alias definition.
    public init(name: String, type: TypeRef, length: Int?, source: String) {
        self.name = name
        self.type = type
        self.length = length
        self.source = source
    }

    public static func == (a: AliasDef, b: AliasDef) -> Bool {
        a.name == b.name && a.type == b.type && a.length == b.length
    }
}

/// The role a message plays, derived from the services of its file.
public enum MessageKind: String, Sendable, Hashable, CaseIterable {
    /// A request answered by one reply.
    case request
    /// The reply to a request (also the closing reply of a get/stream call).
    case reply
    /// A dump request answered by N details, closed by `control_ping`.
    case dump
    /// One item of a dump or of a get/stream call.
    case details
    /// A get/stream request: details, then a reply carrying a cursor (retval -165 = more).
    case getStream = "get-stream"
    /// A `want_*` request that registers for events.
    case eventRegistration = "event-registration"
    /// An asynchronous message VPP sends without a context.
    case event
}

/// A message definition with its CRC and role.
public struct MessageDef: Sendable, Equatable {
    /// The message name.
    public let name: String
    /// CRC as 8 lowercase hex digits without `0x`.
    public let crc: String
    /// All fields including `_vl_msg_id`, `client_index`, `context`.
    public let fields: [Field]
    /// Message options (`deprecated`, `in_progress`, `replaced_by`, …).
    public let options: JSONObject
    /// The doc comment from the `.api` file, when present.
    public let comment: String?
    /// The module (api file) that defines it.
    public let module: String
    /// The file it was first loaded from.
    public let source: String
    /// Its role, derived from services.
    public internal(set) var kind: MessageKind

    /// The key VPP's message table uses: `<name>_<crc>`.
    public var nameCRC: String { "\(name)_\(crc)" }

    /// True when the message has a top-level `context` field (replies are matched by it;
    /// messages without one are events).
    public var hasContext: Bool { fields.contains { $0.name == "context" } }

    /// True when the message has a top-level `client_index` field.
    public var hasClientIndex: Bool { fields.contains { $0.name == "client_index" } }

    /// True when marked `deprecated`.
    public var isDeprecated: Bool { options["deprecated"] != nil }

    /// The names an event registration's on/off switch goes by (notes §1.8, FDio/govpp#63).
    public static let enableFieldNames = ["enable_disable", "enable"]

    /// The field a `want_*` message is switched on and off with (`enable_disable`, u32 or
    /// bool, in most; `enable` in some), nil when it has none: then the message is not a
    /// registration one can take back (`want_ping_finished_events` starts a ping).
    public var enableField: Field? {
        Self.enableFieldNames.lazy.compactMap { n in self.fields.first { $0.name == n } }.first
    }

    /// True when marked `in_progress` (API not yet stable).
    public var isInProgress: Bool { options["in_progress"] != nil || options["status"]?.stringValue == "in_progress" }

    /// Creates a message definition.
    public init(name: String, crc: String, fields: [Field], options: JSONObject, comment: String?,
                module: String, source: String, kind: MessageKind) {
        self.name = name
        self.crc = crc
        self.fields = fields
        self.options = options
        self.comment = comment
        self.module = module
        self.source = source
        self.kind = kind
    }

    public static func == (a: MessageDef, b: MessageDef) -> Bool {
        a.name == b.name && a.crc == b.crc && a.fields == b.fields
    }
}

/// A service: how a request is answered.
public struct Service: Sendable, Equatable {
    /// The shape of the exchange.
    public enum Pattern: String, Sendable {
        /// One reply.
        case requestReply = "request-reply"
        /// N details closed by control_ping.
        case dump
        /// Details then a reply with a cursor; repeat while retval is -165.
        case getStream = "get-stream"
        /// A registration: one reply, then events.
        case events
        /// No reply at all (`"reply": "null"`).
        case noReply = "no-reply"
    }

    /// The request message.
    public let request: String
    /// The reply message (for a dump: the details message), nil for no reply.
    public let reply: String?
    /// The details message of a get/stream service.
    public let streamMessage: String?
    /// Events this registration enables.
    public let events: [String]
    /// The exchange pattern.
    public let pattern: Pattern

    /// Creates a service.
    public init(request: String, reply: String?, streamMessage: String?, events: [String], pattern: Pattern) {
        self.request = request
        self.reply = reply
        self.streamMessage = streamMessage
        self.events = events
        self.pattern = pattern
    }

    /// The message whose instances form the stream: details of a dump or a get/stream.
    public var detailsMessage: String? {
        switch pattern {
        case .dump: reply
        case .getStream: streamMessage
        default: nil
        }
    }
}

/// One loaded API file (module), kept in load order because VPP assigns message ids per
/// module in registration order.
public struct ModuleInfo: Sendable, Equatable {
    /// Module name (`interface`, `memclnt`, `testgovpp`).
    public let name: String
    /// The `version` option, when present.
    public let version: String?
    /// The file CRC (`vl_api_version`) as 8 hex digits.
    public let crc: String?
    /// The messages it defines, in file order.
    public let messages: [String]
    /// Where it came from.
    public let source: String
}
