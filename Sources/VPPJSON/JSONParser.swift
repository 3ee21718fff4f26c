/// Why a JSON text could not be read, with the byte offset where reading stopped.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Byte offset of the problem in the input.
    public let offset: Int
    /// What was wrong there.
    public let reason: String

    /// Creates an error at `offset`.
    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "malformed JSON at byte \(offset): \(reason)" }
}

/// A strict RFC 8259 JSON reader that keeps numbers exact and object keys ordered.
///
/// Strict on purpose: the gateway's inputs come from the network and from operators, and
/// a clear error beats a guess. Nesting is bounded (`maxDepth`) so hostile input cannot
/// exhaust the stack; invalid UTF-8 and lone surrogates are rejected. The document is read
/// into a `JSONTape` (where every rule lives) and then made into a `JSONValue`.
public struct JSONParser {
    /// Deepest nesting accepted. VPP messages nest at most a handful of levels.
    public static let maxDepth = 128

    /// Parses one JSON document; only whitespace may follow it. (`@inlinable` so that a
    /// caller's `[UInt8]` reaches the reader without generic dispatch.)
    @inlinable
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        try JSONTape.parse(bytes).value(at: 0)
    }

    /// Parses one JSON document from a string.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try JSONTape.parse(text.utf8).value(at: 0)
    }
}

extension JSONTape {
    /// Reads `bytes` (the input) into tokens; strings with escapes are decoded and appended
    /// after the input.
    @usableFromInline
    mutating func read() throws(JSONParseError) {
        let result = bytes.withUnsafeBufferPointer { b -> Result<([Token], [UInt8]), JSONParseError> in
            var reader = TapeReader(b)
            do throws(JSONParseError) {
                reader.skipWhitespace()
                try reader.readValue()
                reader.skipWhitespace()
                if reader.pos != b.count {
                    throw JSONParseError(offset: reader.pos, reason: "unexpected data after the JSON value")
                }
                return .success((reader.tokens, reader.decoded.array))
            } catch {
                return .failure(error)
            }
        }
        let (tokens, decoded) = try result.get()
        self.tokens = tokens
        bytes.append(contentsOf: decoded)
    }
}

/// The reader behind `JSONTape.parse` and `JSONParser.parse`.
private struct TapeReader: ~Copyable {
    let bytes: UnsafeBufferPointer<UInt8>
    var pos = 0
    var depth = 0
    var tokens: [JSONTape.Token] = []
    /// Decoded strings that had escapes; token offsets into it start at `bytes.count`.
    var decoded = RawBuffer<UInt8>()

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        tokens.reserveCapacity(bytes.count / 6 + 4)
    }

    // Helpers that only read are `mutating` too: borrowing this noncopyable struct could
    // cost a copy of it per call.

    mutating func fail(_ reason: String) -> JSONParseError {
        JSONParseError(offset: pos, reason: reason)
    }

    mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    mutating func readValue() throws(JSONParseError) {
        guard pos < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): try readObject()
        case UInt8(ascii: "["): try readArray()
        case UInt8(ascii: "\""): try readString()
        case UInt8(ascii: "t"): try expectLiteral("true"); tokens.append(JSONTape.Token(kind: .true))
        case UInt8(ascii: "f"): try expectLiteral("false"); tokens.append(JSONTape.Token(kind: .false))
        case UInt8(ascii: "n"): try expectLiteral("null"); tokens.append(JSONTape.Token(kind: .null))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try readNumber()
        default: throw fail("unexpected character '\(printable(bytes[pos]))'")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let n = literal.utf8CodeUnitCount
        guard pos + n <= bytes.count else { throw fail("unexpected end of input") }
        let lit = UnsafeBufferPointer(start: literal.utf8Start, count: n)
        for i in 0..<n where bytes[pos + i] != lit[i] {
            throw fail("invalid literal")
        }
        pos += n
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > JSONParser.maxDepth { throw fail("nesting deeper than \(JSONParser.maxDepth) levels") }
    }

    mutating func readObject() throws(JSONParseError) {
        try enter()
        pos += 1
        let index = tokens.count
        tokens.append(JSONTape.Token(kind: .object))
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") {
            pos += 1
            depth -= 1
            tokens[index].start = tokens.count
            return
        }
        var count = 0
        while true {
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw fail("expected a member name in double quotes") }
            try readString()
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw fail("expected ':' after a member name") }
            pos += 1
            skipWhitespace()
            try readValue()
            count += 1
            skipWhitespace()
            guard pos < bytes.count else { throw fail("unexpected end of input in an object") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "}") { pos += 1; break }
            throw fail("expected ',' or '}' in an object")
        }
        depth -= 1
        tokens[index].count = count
        tokens[index].start = tokens.count
    }

    mutating func readArray() throws(JSONParseError) {
        try enter()
        pos += 1
        let index = tokens.count
        tokens.append(JSONTape.Token(kind: .array))
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") {
            pos += 1
            depth -= 1
            tokens[index].start = tokens.count
            return
        }
        var count = 0
        while true {
            skipWhitespace()
            try readValue()
            count += 1
            skipWhitespace()
            guard pos < bytes.count else { throw fail("unexpected end of input in an array") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "]") { pos += 1; break }
            throw fail("expected ',' or ']' in an array")
        }
        depth -= 1
        tokens[index].count = count
        tokens[index].start = tokens.count
    }

    mutating func readNumber() throws(JSONParseError) {
        let start = pos
        if bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < bytes.count, isDigit(bytes[pos]) else { throw fail("a number needs digits") }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < bytes.count, isDigit(bytes[pos]) { throw fail("leading zeros are not allowed in numbers") }
        } else {
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw fail("a fraction needs digits") }
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < bytes.count, bytes[pos] | 0x20 == UInt8(ascii: "e") {
            pos += 1
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw fail("an exponent needs digits") }
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        tokens.append(JSONTape.Token(kind: .number, start: start, length: pos - start))
    }

    mutating func readString() throws(JSONParseError) {
        pos += 1
        let start = pos
        // Fast path: no escapes. Jump from one byte that matters to the next; ASCII needs no
        // UTF-8 validation.
        var ascii = true
        guard let base = bytes.baseAddress else { throw fail("unterminated string") }
        while true {
            let j = JSONText.firstSpecialByte(base, from: pos, to: bytes.count)
            pos = j
            if j == bytes.count { throw fail("unterminated string") }
            let b = base[j]
            if b == UInt8(ascii: "\"") {
                if !ascii { try validate(UnsafeBufferPointer(rebasing: bytes[start..<j]), at: start) }
                pos += 1
                tokens.append(JSONTape.Token(kind: .string, ascii: ascii, start: start, length: j - start))
                return
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw fail("control character in a string") }
            ascii = false
            pos += 1
        }
        let outStart = decoded.count
        decoded.append(UnsafeBufferPointer(rebasing: bytes[start..<pos]))
        while pos < bytes.count {
            let b = bytes[pos]
            switch b {
            case UInt8(ascii: "\""):
                pos += 1
                if !ascii {
                    try validate(decoded.suffix(from: outStart), at: start)
                }
                tokens.append(JSONTape.Token(kind: .string, ascii: ascii, start: bytes.count + outStart,
                                             length: decoded.count - outStart))
                return
            case UInt8(ascii: "\\"):
                pos += 1
                guard pos < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""): decoded.append(0x22)
                case UInt8(ascii: "\\"): decoded.append(0x5C)
                case UInt8(ascii: "/"): decoded.append(0x2F)
                case UInt8(ascii: "b"): decoded.append(0x08)
                case UInt8(ascii: "f"): decoded.append(0x0C)
                case UInt8(ascii: "n"): decoded.append(0x0A)
                case UInt8(ascii: "r"): decoded.append(0x0D)
                case UInt8(ascii: "t"): decoded.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try readHex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") else {
                            throw fail("lone high surrogate in \\u escape")
                        }
                        pos += 2
                        let low = try readHex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw fail("invalid low surrogate in \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw fail("lone low surrogate in \\u escape")
                    }
                    guard let us = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                    if scalar >= 0x80 { ascii = false }
                    UTF8.encode(us) { decoded.append($0) }
                default:
                    throw fail("invalid escape '\\\(printable(e))'")
                }
            default:
                if b < 0x20 { throw fail("control character in a string") }
                if b >= 0x80 { ascii = false }
                // A run of plain bytes (non-ASCII included: validated at the end) in one go.
                var j = pos + 1
                while j < bytes.count {
                    j = JSONText.firstSpecialByte(base, from: j, to: bytes.count)
                    if j == bytes.count || base[j] < 0x80 { break }
                    ascii = false
                    j += 1
                }
                decoded.append(UnsafeBufferPointer(rebasing: bytes[pos..<j]))
                pos = j
            }
        }
        throw fail("unterminated string")
    }

    mutating func readHex4() throws(JSONParseError) -> UInt32 {
        guard pos + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let h = hexValue(bytes[pos]) else { throw fail("invalid hex digit in \\u escape") }
            v = v << 4 | UInt32(h)
            pos += 1
        }
        return v
    }

    /// Whole-string UTF-8 validation, as `String(validating:as:)` judges it.
    mutating func validate(_ buf: UnsafeBufferPointer<UInt8>, at offset: Int) throws(JSONParseError) {
        guard let p = buf.baseAddress else { return }
        var i = 0
        while i < buf.count {
            if p[i] < 0x80 {
                i += 1
                continue
            }
            let len = JSONText.validUTF8SequenceLength(p, at: i, count: buf.count)
            if len == 0 { throw JSONParseError(offset: offset, reason: "string is not valid UTF-8") }
            i += len
        }
    }
}

/// The value of one hexadecimal digit, or nil.
@inline(__always)
public func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): b - 48
    case UInt8(ascii: "a")...UInt8(ascii: "f"): b - 87
    case UInt8(ascii: "A")...UInt8(ascii: "F"): b - 55
    default: nil
    }
}

private func printable(_ b: UInt8) -> String {
    (0x20..<0x7F).contains(b) ? String(UnicodeScalar(b)) : "\\x" + String(b, radix: 16)
}
