/// A JSON document as a flat array of tokens over one byte buffer.
///
/// Reading JSON into `JSONValue` allocates a `String` per key and value and an array per
/// container, then frees them all; encoding a message from its JSON text only needs to look
/// at each value once. A tape is two allocations: the tokens, and the bytes (the input, then
/// the decoded form of any string that had escapes). It reads exactly what `JSONParser`
/// reads and fails with exactly its errors, and `value(at:)` gives the `JSONValue` the
/// parser would have.
public struct JSONTape: Sendable {
    /// What a token is.
    public enum Kind: UInt8, Sendable {
        case null, `false`, `true`, number, string, array, object
    }

    /// One value. Containers are followed by their contents (an object's members as key
    /// token, value tokens), so a subtree is the range `index..<end`.
    public struct Token: Sendable {
        /// The kind of value.
        public var kind: Kind
        /// Strings: every byte is ASCII (byte comparison then equals `String` comparison).
        public var ascii: Bool
        /// Arrays: elements; objects: members.
        public var count: Int
        /// Numbers and strings: where the text (for strings, the decoded content) starts in
        /// `bytes`. Containers: the index after their last token.
        public var start: Int
        /// Numbers and strings: the byte length of that text.
        public var length: Int

        @inlinable
        init(kind: Kind, ascii: Bool = true, count: Int = 0, start: Int = 0, length: Int = 0) {
            self.kind = kind
            self.ascii = ascii
            self.count = count
            self.start = start
            self.length = length
        }

        /// Containers: the index after their last token.
        @inlinable public var end: Int { start }
    }

    /// The tokens in document order; the document is token 0.
    public internal(set) var tokens: [Token]
    /// The texts the tokens point into.
    public internal(set) var bytes: [UInt8]

    /// Reads one JSON document; only whitespace may follow it. Same rules, same errors as
    /// `JSONParser.parse`.
    @inlinable
    public static func parse(_ input: some Collection<UInt8>) throws(JSONParseError) -> JSONTape {
        var tape = JSONTape(tokens: [], bytes: Array(input))
        try tape.read()
        return tape
    }

    @usableFromInline
    init(tokens: [Token], bytes: [UInt8]) {
        self.tokens = tokens
        self.bytes = bytes
    }

    /// The tape of a value: what `parse` gives for the value's JSON text, except that number
    /// literals are kept as they are (a `JSONNumber` may hold text JSON would not allow).
    public init(_ value: JSONValue) {
        var builder = TapeBuilder()
        builder.append(value)
        tokens = builder.tokens
        bytes = builder.bytes
    }

    /// The `JSONValue` of the subtree at token `i`.
    public func value(at i: Int) -> JSONValue {
        tokens.withUnsafeBufferPointer { t in
            bytes.withUnsafeBufferPointer { b in Self.value(at: i, tokens: t, bytes: b) }
        }
    }

    /// The `JSONValue` of the subtree at token `i` of a tape's buffers (for code that holds
    /// them rather than the tape).
    public static func value(at i: Int, tokens: UnsafeBufferPointer<Token>, bytes: UnsafeBufferPointer<UInt8>) -> JSONValue {
        var index = i
        return materialize(&index, tokens, bytes)
    }

    private static func materialize(_ i: inout Int, _ tokens: UnsafeBufferPointer<Token>, _ b: UnsafeBufferPointer<UInt8>) -> JSONValue {
        let t = tokens[i]
        i += 1
        switch t.kind {
        case .null: return .null
        case .false: return .bool(false)
        case .true: return .bool(true)
        case .number: return .number(JSONNumber(text: string(t, b)))
        case .string: return .string(string(t, b))
        case .array:
            var a: [JSONValue] = []
            a.reserveCapacity(t.count)
            for _ in 0..<t.count { a.append(materialize(&i, tokens, b)) }
            return .array(a)
        case .object:
            var members: [(key: String, value: JSONValue)] = []
            members.reserveCapacity(t.count)
            for _ in 0..<t.count {
                let key = string(tokens[i], b)
                i += 1
                members.append((key, materialize(&i, tokens, b)))
            }
            return .object(JSONObject(members))
        }
    }

    /// The text of a string or number token.
    public static func string(_ t: Token, _ b: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: b[t.start..<t.start + t.length]), as: UTF8.self)
    }

    /// The text of string or number token `i`, as a `String`.
    public func text(at i: Int) -> String {
        bytes.withUnsafeBufferPointer { Self.string(tokens[i], $0) }
    }
}

/// Builds the tape of a `JSONValue`; the texts go to a buffer written through a pointer (an
/// `Array` append of a few bytes costs more than the copy).
private struct TapeBuilder: ~Copyable {
    var tokens: [JSONTape.Token] = []
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity = 512
    private var count = 0

    init() {
        base = .allocate(capacity: capacity)
        tokens.reserveCapacity(64)
    }

    deinit {
        base.deallocate()
    }

    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    mutating func append(_ value: JSONValue) {
        switch value {
        case .null: tokens.append(JSONTape.Token(kind: .null))
        case .bool(let b): tokens.append(JSONTape.Token(kind: b ? .true : .false))
        case .number(let n): appendText(n.text, kind: .number)
        case .string(let s): appendText(s, kind: .string)
        case .array(let a):
            let i = tokens.count
            tokens.append(JSONTape.Token(kind: .array, count: a.count))
            for e in a { append(e) }
            tokens[i].start = tokens.count
        case .object(let o):
            let i = tokens.count
            tokens.append(JSONTape.Token(kind: .object, count: o.members.count))
            for m in o.members {
                appendText(m.key, kind: .string)
                append(m.value)
            }
            tokens[i].start = tokens.count
        }
    }

    private mutating func appendText(_ s: String, kind: JSONTape.Kind) {
        let start = count
        let ascii = s.utf8.withContiguousStorageIfAvailable { u -> Bool in
            append(u)
            var all: UInt8 = 0
            for b in u { all |= b }
            return all < 0x80
        } ?? {
            let u = Array(s.utf8)
            u.withUnsafeBufferPointer { append($0) }
            return !u.contains { $0 >= 0x80 }
        }()
        tokens.append(JSONTape.Token(kind: kind, ascii: ascii, start: start, length: count - start))
    }

    private mutating func append(_ u: UnsafeBufferPointer<UInt8>) {
        guard let src = u.baseAddress else { return }
        if capacity - count < u.count {
            let newCapacity = max(2 * capacity, count + u.count)
            let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            newBase.moveInitialize(from: base, count: count)
            base.deallocate()
            base = newBase
            capacity = newCapacity
        }
        (base + count).initialize(from: src, count: u.count)
        count += u.count
    }
}

extension JSONTape.Kind {
    /// As `JSONValue.typeName`: "a string", "an array"…
    public var typeName: String {
        switch self {
        case .null: "null"
        case .false, .true: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
