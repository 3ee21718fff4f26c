import VPPJSON
import VPPSchema

/// The values of a message's header fields, which canonical JSON leaves out.
public struct MessageHeader: Sendable, Equatable {
    /// `_vl_msg_id`: per connection for all but memclnt (ids 1–28).
    public var messageID: UInt16?
    /// `client_index`: the `index` VPP returned in `sockclnt_create_reply`.
    public var clientIndex: UInt32?
    /// `context`: echoed by VPP in replies and details.
    public var context: UInt32?

    /// Header values; nil means "not given" (encode: take it from the JSON or use 0).
    public init(messageID: UInt16? = nil, clientIndex: UInt32? = nil, context: UInt32? = nil) {
        self.messageID = messageID
        self.clientIndex = clientIndex
        self.context = context
    }
}

/// A decoded message: canonical JSON bytes plus what JSON does not carry.
public struct DecodedMessage: Sendable {
    /// The message definition.
    public let message: MessageDef
    /// Canonical JSON, UTF-8.
    public let json: [UInt8]
    /// Header values found in the bytes (nil when the message has no such field).
    public let header: MessageHeader
    /// Bytes after the layout's end. VPP accepts longer messages (api_shared.c:519-536), so
    /// they are not an error, but callers may report them.
    public let trailingBytes: Int

    /// The JSON as text.
    public var jsonText: String { String(decoding: json, as: UTF8.self) }
}

/// Why a message could not be encoded or decoded.
///
/// `path` is a JSON pointer (RFC 6901) to the offending field, e.g. `/route/paths/0/weight`,
/// so HTTP errors and CLI messages can name it exactly.
public struct CodecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Stable categories, used for problem types and tests.
    public enum Kind: String, Sendable {
        case malformedJSON = "malformed-json"
        case wrongType = "wrong-type"
        case outOfRange = "out-of-range"
        case unknownEnumName = "unknown-enum-name"
        case stringTooLong = "string-too-long"
        case badHex = "bad-hex"
        case wrongLength = "wrong-length"
        case unknownField = "unknown-field"
        case duplicateField = "duplicate-field"
        case unknownMessage = "unknown-message"
        case crcMismatch = "crc-mismatch"
        case truncated
        case badLength = "bad-length"
        case invalidValue = "invalid-value"
        case unsupported
    }

    /// The category.
    public let kind: Kind
    /// JSON pointer of the field ("" for the whole message).
    public let path: String
    /// A sentence saying what is wrong.
    public let reason: String

    /// Creates an error.
    public init(_ kind: Kind, path: String, reason: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    /// The same error one level further out: `name` is prepended to the path.
    func under(_ name: String?) -> CodecError {
        guard let name else { return self }
        let escaped = name.replacing("~", with: "~0").replacing("/", with: "~1")
        return CodecError(kind, path: "/" + escaped + path, reason: reason)
    }

    public var description: String {
        path.isEmpty ? reason : "\(path): \(reason)"
    }
}

/// Schema-driven conversion between VPP binary messages and canonical JSON.
///
/// Every message of the schema is compiled once into a plan when the codec is made; decoding
/// then writes JSON bytes directly, and encoding walks the parsed JSON along the plan.
/// Immutable and `Sendable`: one codec serves every connection and request.
public final class Codec: Sendable {
    /// The schema the codec speaks.
    public let schema: Schema
    private let plans: [String: MessagePlan]
    /// The plans flattened for decoding.
    private let program: DecodeProgram
    /// Messages the codec could not lay out, with the reason (reported, never fatal).
    public let unsupported: [String: String]

    /// Compiles every message of `schema`.
    public init(schema: Schema) {
        self.schema = schema
        var compiler = PlanCompiler(schema: schema)
        var plans: [String: MessagePlan] = [:]
        var unsupported: [String: String] = [:]
        for m in schema.messages.values {
            switch Result(catching: { () throws(PlanError) -> MessagePlan in try compiler.compile(m) }) {
            case .success(let p): plans[m.name] = p
            case .failure(let error): unsupported[m.name] = error.description
            }
        }
        self.plans = plans
        self.unsupported = unsupported
        program = DecodeProgram(plans: plans)
    }

    private func plan(_ name: String) throws(CodecError) -> MessagePlan {
        if let p = plans[name] { return p }
        if let why = unsupported[name] {
            throw CodecError(.unsupported, path: "", reason: "message \(name) cannot be encoded: \(why)")
        }
        throw CodecError(.unknownMessage, path: "/_msgname", reason: "unknown message \"\(name.prefix(100))\"")
    }

    /// The decode program of a message (every plan has one), or the error `plan` gives.
    private func entry(_ name: String) throws(CodecError) -> MessageEntry {
        if let e = program.entry(named: name) { return e }
        _ = try plan(name)
        throw CodecError(.unknownMessage, path: "/_msgname", reason: "unknown message \"\(name.prefix(100))\"")
    }

    /// Decodes `bytes` (starting with `_vl_msg_id`, no transport header) as message `name`.
    public func decode(_ bytes: UnsafeRawBufferPointer, as name: String) throws(CodecError) -> DecodedMessage {
        let plan = try plan(name)
        let entry = try entry(name)
        var json: [UInt8] = []
        json.reserveCapacity(max(64, bytes.count * 3))
        let (header, end) = try program.decode(entry, bytes, into: &json)
        return DecodedMessage(message: plan.definition, json: json, header: header, trailingBytes: bytes.count - end)
    }

    /// Decodes a byte array as message `name`.
    public func decode(_ bytes: [UInt8], as name: String) throws(CodecError) -> DecodedMessage {
        try bytes.withUnsafeBytes { p in
            Result { () throws(CodecError) -> DecodedMessage in try decode(p, as: name) }
        }.get()
    }

    /// Appends the canonical JSON of `bytes` to `writer` (the allocation-free hot path used
    /// when streaming many details into one response). On error nothing is appended.
    public func decode(_ bytes: UnsafeRawBufferPointer, as name: String, appendingTo writer: inout JSONWriter) throws(CodecError) -> MessageHeader {
        try program.decode(try entry(name), bytes, into: &writer.bytes).0
    }

    /// Encodes a JSON object as a message. The message is `name`, or the object's
    /// `_msgname`; a `_crc` in the object must match the schema.
    public func encode(_ value: JSONValue, as name: String? = nil, header: MessageHeader = MessageHeader()) throws(CodecError) -> [UInt8] {
        try encode(tape: JSONTape(value), as: name, header: header)
    }

    /// Parses JSON text and encodes it (see `encode(_:as:header:)`). The text is read into a
    /// `JSONTape`, not a `JSONValue` tree: no allocation per key and value.
    @inlinable
    public func encode(json: some Collection<UInt8>, as name: String? = nil, header: MessageHeader = MessageHeader()) throws(CodecError) -> [UInt8] {
        let tape: JSONTape
        switch Result(catching: { () throws(JSONParseError) -> JSONTape in try JSONTape.parse(json) }) {
        case .success(let t): tape = t
        case .failure(let error): throw CodecError(.malformedJSON, path: "", reason: error.description)
        }
        return try encode(tape: tape, as: name, header: header)
    }

    /// Encodes the document of a tape (see `encode(_:as:header:)`).
    @usableFromInline
    func encode(tape: JSONTape, as name: String?, header: MessageHeader) throws(CodecError) -> [UInt8] {
        try Value.with(tape) { object throws(CodecError) -> [UInt8] in
            guard object.kind == .object else {
                throw CodecError(.wrongType, path: "", reason: "expected a JSON object, got \(object.typeName)")
            }
            var messageName = name
            if let n = object.member("_msgname") {
                guard n.kind == .string else {
                    throw CodecError(.wrongType, path: "/_msgname", reason: "expected a string, got \(n.typeName)")
                }
                let s = n.text
                if let name, name != s {
                    throw CodecError(.invalidValue, path: "/_msgname", reason: "\"\(s.prefix(100))\" does not match the message \(name)")
                }
                messageName = s
            }
            guard let messageName else {
                throw CodecError(.unknownMessage, path: "/_msgname", reason: "no _msgname: say which message this is")
            }
            let plan = try plan(messageName)
            if let c = object.member("_crc") {
                guard c.kind == .string else {
                    throw CodecError(.wrongType, path: "/_crc", reason: "expected a string, got \(c.typeName)")
                }
                let s = c.text
                let normal = s.lowercased().hasPrefix("0x") ? String(s.dropFirst(2)).lowercased() : s.lowercased()
                guard normal == plan.definition.crc else {
                    throw CodecError(.crcMismatch, path: "/_crc", reason: "crc \(s.prefix(20)) does not match \(messageName)'s \(plan.definition.crc) in the loaded schema")
                }
            }
            var encoder = BinaryEncoder(capacity: plan.body.fixedSize ?? 256)
            try encoder.encodeMessage(plan, object, header: header)
            return encoder.out.bytes
        }
    }

    /// The wire size of a message when it does not depend on its contents.
    public func fixedSize(of name: String) -> Int? {
        plans[name]?.body.fixedSize
    }

    /// The minimal wire size of a message (all arrays and strings empty), for framing checks.
    public func isKnown(_ name: String) -> Bool { plans[name] != nil }
}
