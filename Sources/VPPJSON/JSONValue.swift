/// A parsed JSON document.
///
/// VPP's canonical JSON carries u64 and i64 values exactly (up to 18446744073709551615),
/// so numbers keep their literal text (`JSONNumber`) instead of being squeezed through a
/// `Double` the way `JSONSerialization` does. Objects keep their keys in document order,
/// because the canonical form is ordered (`_msgname`, `_crc`, then declaration order).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// A short name of the JSON type, for error messages ("expected a string, got an array").
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    /// The value's object, if it is one.
    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    /// The value's array, if it is one.
    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The value's string, if it is one.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The value's number, if it is one.
    public var numberValue: JSONNumber? {
        if case .number(let n) = self { return n }
        return nil
    }

    /// Member lookup for objects (nil for anything else), so schema code reads naturally.
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }
}

/// A JSON object whose members keep their document order.
///
/// Lookups are linear: VPP messages have tens of fields, where a scan beats hashing.
/// Duplicate keys are kept as parsed; `subscript` returns the first.
public struct JSONObject: Sendable, Equatable, Sequence {
    /// The members in document order.
    public var members: [(key: String, value: JSONValue)]

    /// An object from ordered members.
    public init(_ members: [(key: String, value: JSONValue)] = []) {
        self.members = members
    }

    /// The first member named `key`.
    public subscript(key: String) -> JSONValue? {
        for m in members where m.key == key { return m.value }
        return nil
    }

    /// Number of members.
    public var count: Int { members.count }

    /// The keys in order.
    public var keys: [String] { members.map(\.key) }

    /// Appends a member (no duplicate check: the caller decides).
    public mutating func append(_ key: String, _ value: JSONValue) {
        members.append((key, value))
    }

    /// Iterates members in document order.
    public func makeIterator() -> IndexingIterator<[(key: String, value: JSONValue)]> {
        members.makeIterator()
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for (a, b) in zip(lhs.members, rhs.members) where a.key != b.key || a.value != b.value {
            return false
        }
        return true
    }
}

/// A JSON number kept as its literal text, with exact conversions.
///
/// Integers are read without passing through `Double`, and exponent forms such as
/// `9.00719925474099e+15` (what VPP's cJSON prints) are accepted as integers only when they
/// denote an exact integer.
public struct JSONNumber: Sendable, Equatable, CustomStringConvertible {
    /// The literal as it appeared in the document (already validated JSON number syntax).
    public let text: String

    /// Wraps validated JSON number text. Use `JSONNumber(integer:)` to build one from a value.
    public init(text: String) {
        self.text = text
    }

    /// The number of an integer.
    public init<T: BinaryInteger>(integer: T) {
        self.text = String(integer)
    }

    public var description: String { text }

    /// The value as sign and magnitude when it is an exact integer that fits in 64 bits of
    /// magnitude; nil when it has a fractional part or is too large.
    public var exactInteger: (negative: Bool, magnitude: UInt64)? {
        var text = text
        return text.withUTF8 { Self.exactInteger(utf8: $0) }
    }

    /// `exactInteger` of any number text, without allocating: the literal is read as sign,
    /// integer digits, fraction digits and exponent (anything after that is ignored), and
    /// the digits are then read as if written out in full. The exponent may be written
    /// with at most 10,000 as its value.
    public static func exactInteger(utf8 b: UnsafeBufferPointer<UInt8>) -> (negative: Bool, magnitude: UInt64)? {
        var idx = 0
        var negative = false
        if b.count > 0, b[0] == UInt8(ascii: "-") {
            negative = true
            idx = 1
        }
        // Fast path: nothing but up to 19 digits (which cannot overflow), the usual literal.
        if b.count - idx <= 19 {
            var value: UInt64 = 0
            var k = idx
            while k < b.count, isDigit(b[k]) {
                value = value &* 10 &+ UInt64(b[k] &- 48)
                k += 1
            }
            if k == b.count { return (negative, value) }
        }
        let intStart = idx
        while idx < b.count, isDigit(b[idx]) { idx += 1 }
        let intEnd = idx
        var fracStart = idx, fracEnd = idx
        if idx < b.count, b[idx] == UInt8(ascii: ".") {
            idx += 1
            fracStart = idx
            while idx < b.count, isDigit(b[idx]) { idx += 1 }
            fracEnd = idx
        }
        var exponent = 0
        if idx < b.count, b[idx] | 0x20 == UInt8(ascii: "e") {
            idx += 1
            var expNegative = false
            if idx < b.count, b[idx] == UInt8(ascii: "+") || b[idx] == UInt8(ascii: "-") {
                expNegative = b[idx] == UInt8(ascii: "-")
                idx += 1
            }
            var e = 0
            while idx < b.count, isDigit(b[idx]) {
                e = e * 10 + Int(b[idx] - 48)
                if e > 10_000 { return nil }
                idx += 1
            }
            exponent = expNegative ? -e : e
        }
        // The digits, integer part then fraction, as one virtual sequence.
        let intCount = intEnd - intStart
        let count = intCount + (fracEnd - fracStart)
        @inline(__always) func digit(_ k: Int) -> UInt8 {
            k < intCount ? b[intStart + k] : b[fracStart + k - intCount]
        }
        // value = 0.digits × 10^(intCount + exponent); skip leading zeros.
        var first = 0
        var pointPosition = intCount + exponent
        while first < count, digit(first) == UInt8(ascii: "0") {
            first += 1
            pointPosition -= 1
        }
        let significant = count - first
        if significant == 0 { return (negative, 0) }
        var last = count // digits read as the integer: first..<last, then zeros
        var zeros = 0
        if pointPosition < significant {
            if pointPosition < 0 { return nil }
            // Digits beyond the point must be zero.
            for k in (first + pointPosition)..<count where digit(k) != UInt8(ascii: "0") { return nil }
            last = first + pointPosition
        } else if pointPosition > 20 {
            return nil
        } else {
            zeros = pointPosition - significant
        }
        var value: UInt64 = 0
        for k in first..<last {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(digit(k) - 48))
            if o1 || o2 { return nil }
            value = s
        }
        for _ in 0..<zeros {
            let (m, o) = value.multipliedReportingOverflow(by: 10)
            if o { return nil }
            value = m
        }
        return (negative, value)
    }

    /// The value as an `Int64` when it is an exact integer in range.
    public var int64Value: Int64? {
        guard let (negative, magnitude) = exactInteger else { return nil }
        if negative { return magnitude <= 1 << 63 ? Int64(bitPattern: 0 &- magnitude) : nil }
        return Int64(exactly: magnitude)
    }

    /// The value as a `UInt64` when it is an exact non-negative integer in range.
    public var uint64Value: UInt64? {
        guard let (negative, magnitude) = exactInteger else { return nil }
        if negative { return magnitude == 0 ? 0 : nil }
        return magnitude
    }

    /// The value as a `Double` (nearest, as any JSON reader would give).
    public var doubleValue: Double? {
        Double(text)
    }

    /// True when the literal has no fraction or exponent part.
    public var isPlainInteger: Bool {
        !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }
    }
}

@inline(__always)
func isDigit(_ b: UInt8) -> Bool { b &- 48 < 10 }
