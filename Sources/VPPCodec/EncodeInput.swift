import VPPJSON

/// A JSON value the encoder reads: a token of a `JSONTape`, seen through the tape's buffers.
///
/// Plain data (pointers and an index), so walking a document costs no reference counting.
/// The buffers belong to a tape kept alive by `Value.with`, and every index comes from the
/// tape itself, so accesses stay inside them.
struct Value {
    let tokens: UnsafeBufferPointer<JSONTape.Token>
    let bytes: UnsafeBufferPointer<UInt8>
    let index: Int

    /// Runs `body` on the root of `tape`.
    static func with<R>(_ tape: JSONTape, _ body: (Value) throws(CodecError) -> R) throws(CodecError) -> R {
        try tape.tokens.withUnsafeBufferPointer { t throws(CodecError) -> R in
            try tape.bytes.withUnsafeBufferPointer { b throws(CodecError) -> R in
                try body(Value(tokens: t, bytes: b, index: 0))
            }
        }
    }

    /// Runs `body` on a value that is not in the document (a default, a derived length).
    static func with<R>(_ value: JSONValue, _ body: (Value) throws(CodecError) -> R) throws(CodecError) -> R {
        try with(JSONTape(value), body)
    }

    @inline(__always)
    private var token: JSONTape.Token { tokens[index] }

    @inline(__always)
    var kind: JSONTape.Kind { token.kind }

    /// Elements of an array, members of an object.
    @inline(__always)
    var count: Int { token.count }

    /// The token after this value's subtree.
    @inline(__always)
    var next: Int {
        let t = token
        return t.kind == .array || t.kind == .object ? t.end : index + 1
    }

    @inline(__always)
    func at(_ i: Int) -> Value {
        Value(tokens: tokens, bytes: bytes, index: i)
    }

    /// A string's (decoded) content or a number's literal, as UTF-8.
    @inline(__always)
    var utf8: UnsafeBufferPointer<UInt8> {
        let t = token
        return UnsafeBufferPointer(rebasing: bytes[t.start..<t.start + t.length])
    }

    /// A string whose bytes are all ASCII.
    @inline(__always)
    var isASCII: Bool { token.ascii }

    /// A string's content or a number's literal as a `String`.
    var text: String { JSONTape.string(token, bytes) }

    /// The value as a `JSONValue` (for error messages that quote it).
    var json: JSONValue { JSONTape.value(at: index, tokens: tokens, bytes: bytes) }

    /// `JSONValue.typeName`.
    var typeName: String { kind.typeName }

    /// Whether this string equals `name` as Swift compares strings. Byte equality decides
    /// when both are ASCII (`nameIsASCII` says so for `name`); otherwise canonical equivalence
    /// does, through `String`.
    @inline(__always)
    func equals(_ name: UnsafeBufferPointer<UInt8>, nameIsASCII: Bool) -> Bool {
        if isASCII, nameIsASCII {
            let u = utf8
            guard u.count == name.count else { return false }
            guard let a = u.baseAddress, let b = name.baseAddress else { return true }
            for k in 0..<u.count where a[k] != b[k] { return false }
            return true
        }
        return text == String(decoding: name, as: UTF8.self)
    }

    /// The value of an object's first member called `name` (as Swift compares strings).
    func member(_ name: StaticString) -> Value? {
        let n = UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        var k = index + 1
        for _ in 0..<count {
            if at(k).equals(n, nameIsASCII: true) { return at(k + 1) }
            k = at(k + 1).next
        }
        return nil
    }

    /// The exact integer of a number (as `JSONNumber.exactInteger`).
    var exactInteger: (negative: Bool, magnitude: UInt64)? {
        JSONNumber.exactInteger(utf8: utf8)
    }

    /// As `JSONNumber.int64Value`.
    var int64Value: Int64? {
        guard let (negative, magnitude) = exactInteger else { return nil }
        if negative { return magnitude <= 1 << 63 ? Int64(bitPattern: 0 &- magnitude) : nil }
        return Int64(exactly: magnitude)
    }

    /// As `JSONNumber.uint64Value`.
    var uint64Value: UInt64? {
        guard let (negative, magnitude) = exactInteger else { return nil }
        if negative { return magnitude == 0 ? 0 : nil }
        return magnitude
    }
}

/// Names of the plan (fields, arms, enum members) as UTF-8, for comparing with member keys
/// and strings of the input without making `String`s.
struct PlanName {
    let utf8: [UInt8]
    let isASCII: Bool

    init(_ name: String) {
        utf8 = Array(name.utf8)
        isASCII = utf8.allSatisfy { $0 < 0x80 }
    }
}
