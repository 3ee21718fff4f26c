import VPPJSON
import VPPSchema

extension BinaryEncoder {
    /// Reads an exact integer for `type` and returns its wire bit pattern.
    func integer(_ value: Value, _ type: ScalarType) throws(CodecError) -> UInt64 {
        guard value.kind == .number else { throw wrongType("an integer (\(type.rawValue))", value) }
        guard let (negative, magnitude) = value.exactInteger else {
            throw CodecError(.outOfRange, path: "", reason: "\(value.text) is not an integer in range for \(type.rawValue)")
        }
        let bits = type.size * 8
        if type.isSigned {
            let maxPositive = (UInt64(1) << UInt64(bits - 1)) - 1
            if negative {
                guard magnitude <= maxPositive + 1 else { throw range(value.text, type) }
                return (0 &- magnitude) & maskFor(type.size)
            }
            guard magnitude <= maxPositive else { throw range(value.text, type) }
            return magnitude
        }
        guard !negative || magnitude == 0 else { throw range(value.text, type) }
        guard magnitude <= maskFor(type.size) else { throw range(value.text, type) }
        return magnitude
    }

    /// The value of the first member of `e` named by string `value`.
    func memberValue(_ value: Value, _ e: EnumPlan) -> Int64? {
        e.names.firstIndex(of: value).map { e.members[$0].value }
    }

    /// Reads a flag set: an array of names and integers (ORed), a single name, or an integer.
    func flags(_ value: Value, _ e: EnumPlan) throws(CodecError) -> UInt64 {
        func one(_ v: Value) throws(CodecError) -> UInt64 {
            switch v.kind {
            case .string:
                guard let m = memberValue(v, e) else { throw unknownMember(v.text, e) }
                return UInt64(bitPattern: m) & e.mask
            case .number:
                guard let u = v.uint64Value, u <= e.mask else {
                    throw CodecError(.outOfRange, path: "", reason: "flag bits \(v.text) do not fit \(e.width.rawValue) (vl_api_\(e.name)_t)")
                }
                return u
            default:
                throw wrongType("flag names of vl_api_\(e.name)_t or integers", v)
            }
        }
        if value.kind == .array {
            var acc: UInt64 = 0
            var k = value.index + 1
            for i in 0..<value.count {
                let item = value.at(k)
                do throws(CodecError) { acc |= try one(item) } catch { throw error.under(String(i)) }
                k = item.next
            }
            return acc
        }
        return try one(value)
    }

    /// Checks a `"0x…"` hex string and returns how many bytes it holds.
    func hexByteCount(_ value: Value, path: String?) throws(CodecError) -> Int {
        let u = value.utf8
        guard u.count >= 2, u[0] == UInt8(ascii: "0"), u[1] | 0x20 == UInt8(ascii: "x") else {
            throw CodecError(.badHex, path: "", reason: "expected a \"0x\"-prefixed hex string").under(path)
        }
        guard u.count % 2 == 0 else {
            throw CodecError(.badHex, path: "", reason: "hex string has an odd number of digits").under(path)
        }
        var i = 2
        while i < u.count {
            guard hexValue(u[i]) != nil, hexValue(u[i + 1]) != nil else {
                throw CodecError(.badHex, path: "", reason: "invalid hex digit at position \(i)").under(path)
            }
            i += 2
        }
        return u.count / 2 - 1
    }

    func wrongType(_ expected: String, _ got: Value) -> CodecError {
        CodecError(.wrongType, path: "", reason: "expected \(expected), got \(got.typeName)")
    }

    func badText(_ expected: String, _ got: Value) -> CodecError {
        if got.kind == .string {
            return CodecError(.invalidValue, path: "", reason: "\"\(got.text.prefix(80))\" is not \(expected)")
        }
        return wrongType(expected, got)
    }

    func unknownMember(_ name: String, _ e: EnumPlan) -> CodecError {
        CodecError(.unknownEnumName, path: "", reason: "unknown member \"\(name.prefix(80))\" of vl_api_\(e.name)_t; expected one of \(e.members.map(\.name).joined(separator: ", "))")
    }

    func range(_ text: String, _ type: ScalarType) -> CodecError {
        CodecError(.outOfRange, path: "", reason: "\(text) is out of range for \(type.rawValue)")
    }

    func prefixLength(_ len: UInt8) -> CodecError {
        CodecError(.outOfRange, path: "", reason: "prefix length \(len) is too long for the address family")
    }
}

@inline(__always)
func maskFor(_ size: Int) -> UInt64 {
    size >= 8 ? .max : (UInt64(1) << UInt64(size * 8)) - 1
}

@inline(__always)
func signExtend(_ v: UInt64, _ size: Int) -> Int64 {
    let shift = UInt64(64 - size * 8)
    return Int64(bitPattern: v << shift) >> Int64(shift)
}
