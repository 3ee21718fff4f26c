import VPPJSON
import VPPSchema

/// Walks a message's plan over a JSON value and writes the wire bytes.
///
/// Reads the canonical form and the lenient forms of the vectors README §3.10; anything else
/// is an error naming the field, and nothing is produced for the message.
struct BinaryEncoder: ~Copyable {
    var out: WireBuffer

    init(capacity: Int) {
        out = WireBuffer(capacity: capacity)
    }

    mutating func encodeMessage(_ plan: MessagePlan, _ object: JSONObject, header: MessageHeader) throws(CodecError) {
        try encodeFields(plan.body, object, topLevel: true, header: header)
    }

    private mutating func encodeFields(_ plan: StructPlan, _ object: JSONObject, topLevel: Bool,
                                       header: MessageHeader = MessageHeader()) throws(CodecError) {
        // One allocation on the stack for both the member of each field and the slots.
        let fieldCount = plan.fields.count
        try withUnsafeTemporaryAllocation(of: Int.self, capacity: fieldCount + plan.slotCount) { scratch throws(CodecError) in
            scratch.initialize(repeating: -1)
            let memberOf = UnsafeMutableBufferPointer(rebasing: scratch[..<fieldCount])
            let slots = UnsafeMutableBufferPointer(rebasing: scratch[fieldCount...])
            slots.initialize(repeating: 0)
            try match(object, to: plan, topLevel: topLevel, into: memberOf)
            try encodeFields(plan, object, memberOf, slots: slots, header: header)
        }
    }

    /// Finds, for each field, the first member naming it (what `object[name]` returns) in one
    /// pass over the members: the next member usually names the next field, so one string
    /// comparison per member is the common cost. Fails on the first member (in document
    /// order) that names no field, except `_msgname` and `_crc` at the top level.
    /// `memberOf[f]` is set for the first field `f` of each name (`StructPlan.firstOfName`).
    private func match(_ object: JSONObject, to plan: StructPlan, topLevel: Bool,
                       into memberOf: UnsafeMutableBufferPointer<Int>) throws(CodecError) {
        let fields = plan.fields
        var next = 0
        for k in object.members.indices {
            let key = object.members[k].key
            let f: Int
            if next < fields.count, fields[next].name == key {
                f = plan.firstOfName[next]
                next += 1
            } else if let j = plan.index(ofField: key) {
                f = j
                next = j + 1
            } else {
                if topLevel, key == "_msgname" || key == "_crc" { continue }
                throw CodecError(.unknownField, path: "", reason: "unknown field; \(plan.name) has \(fields.filter(\.visible).map(\.name).joined(separator: ", "))").under(key)
            }
            if memberOf[f] < 0 { memberOf[f] = k }
        }
    }

    /// The value of field `i`, if a member names it.
    @inline(__always)
    private func member(_ i: Int, _ plan: StructPlan, _ object: JSONObject, _ memberOf: UnsafeMutableBufferPointer<Int>) -> JSONValue? {
        let k = memberOf[plan.firstOfName[i]]
        return k >= 0 ? object.members[k].value : nil
    }

    private mutating func encodeFields(_ plan: StructPlan, _ object: JSONObject, _ memberOf: UnsafeMutableBufferPointer<Int>,
                                       slots: UnsafeMutableBufferPointer<Int>, header: MessageHeader) throws(CodecError) {
        for i in plan.fields.indices {
            do throws(CodecError) {
                var value = member(i, plan, object, memberOf)
                if !plan.fields[i].visible {
                    let v: UInt64
                    switch plan.fields[i].name {
                    case "_vl_msg_id": v = UInt64(header.messageID ?? 0)
                    case "client_index":
                        if let c = header.clientIndex { v = UInt64(c) } else { v = try headerValue(value) }
                    default:
                        if let c = header.context { v = UInt64(c) } else { v = try headerValue(value) }
                    }
                    writeUnsigned(v, plan.fields[i].node.fixedSize ?? 4)
                    if let s = plan.fields[i].recordSlot { slots[s] = Int(truncatingIfNeeded: v) }
                    continue
                }
                if !plan.fields[i].lengthOf.isEmpty {
                    let derived = try derivedLength(plan, i, object, memberOf)
                    if let given = value {
                        guard let g = given.numberValue?.int64Value, g == derived else {
                            throw CodecError(.wrongLength, path: "", reason: "length field is \(given.jsonText) but the array it counts has \(derived) element\(derived == 1 ? "" : "s")")
                        }
                    }
                    value = .number(JSONNumber(integer: derived))
                }
                if value == nil { value = plan.fields[i].defaultValue }
                let v: Int64
                if let value {
                    v = try encodeNode(plan.fields[i].node, value, slots: slots, discriminatorSlot: plan.fields[i].discriminatorSlot)
                } else {
                    v = 0
                    try encodeZero(plan.fields[i].node, slots: slots)
                }
                if let s = plan.fields[i].recordSlot { slots[s] = Int(truncatingIfNeeded: v) }
            } catch {
                throw error.under(plan.fields[i].name)
            }
        }
    }

    /// A header field given in the JSON itself (when the caller supplies none).
    private func headerValue(_ value: JSONValue?) throws(CodecError) -> UInt64 {
        guard let value else { return 0 }
        return try integer(value, .u32)
    }

    /// The element count of the VLAs a length field counts; they must agree.
    private func derivedLength(_ plan: StructPlan, _ i: Int, _ object: JSONObject,
                               _ memberOf: UnsafeMutableBufferPointer<Int>) throws(CodecError) -> Int64 {
        var result: Int64?
        let field = plan.fields[i]
        for index in field.lengthOf {
            let vla = plan.fields[index]
            let n: Int64
            switch member(index, plan, object, memberOf) {
            case nil: n = 0
            case .array(let a)?: n = Int64(a.count)
            case .string(let s)?:
                guard case .variableBytes = vla.node else {
                    throw CodecError(.wrongType, path: "", reason: "expected an array, got a string").under(vla.name)
                }
                n = Int64(try hexBytes(s, path: vla.name).count)
            case let other?:
                throw CodecError(.wrongType, path: "", reason: "expected an array, got \(other.typeName)").under(vla.name)
            }
            if let r = result, r != n {
                throw CodecError(.wrongLength, path: "", reason: "arrays counted by \(field.name) have different lengths")
            }
            result = n
        }
        return result ?? 0
    }

    @inline(__always)
    private mutating func writeUnsigned(_ v: UInt64, _ size: Int) {
        out.appendBigEndian(v, size: size)
    }

    private mutating func zeros(_ n: Int) {
        out.zeros(n)
    }

    /// An absent field with no default: zero, empty, or all-zero bytes.
    private mutating func encodeZero(_ node: Node, slots: UnsafeMutableBufferPointer<Int>) throws(CodecError) {
        if let size = node.fixedSize {
            zeros(size)
            return
        }
        switch node {
        case .variableString: zeros(4)
        case .variableBytes, .variableArray: break // its length field was derived as 0
        case .structure(let s): try encodeFields(s, JSONObject(), topLevel: false)
        default: throw CodecError(.invalidValue, path: "", reason: "cannot default this field")
        }
    }

    private mutating func encodeNode(_ node: Node, _ value: JSONValue, slots: UnsafeMutableBufferPointer<Int>,
                                     discriminatorSlot: Int?) throws(CodecError) -> Int64 {
        switch node {
        case .scalar(let s):
            switch s {
            case .bool:
                guard case .bool(let b) = value else { throw wrongType("a boolean", value) }
                out.append(b ? 1 : 0)
                return b ? 1 : 0
            case .f64:
                guard case .number(let n) = value, let d = n.doubleValue, d.isFinite else {
                    if case .number = value { throw CodecError(.outOfRange, path: "", reason: "number \(value.jsonText) does not fit an f64") }
                    throw wrongType("a number", value)
                }
                out.appendLittleEndian(d)
                return 0
            default:
                let v = try integer(value, s)
                writeUnsigned(v, s.size)
                return s.isSigned ? signExtend(v, s.size) : Int64(bitPattern: v)
            }
        case .plainEnum(let e):
            let v: UInt64
            switch value {
            case .string(let name):
                guard let m = e.value(named: name) else { throw unknownMember(name, e) }
                v = UInt64(bitPattern: m)
            case .number:
                v = try integer(value, e.width)
            default:
                throw wrongType("a member name of vl_api_\(e.name)_t or its integer value", value)
            }
            writeUnsigned(v, e.width.size)
            return e.width.isSigned ? signExtend(v, e.width.size) : Int64(bitPattern: v)
        case .flagSet(let e):
            let v = try flags(value, e)
            writeUnsigned(v, e.width.size)
            return Int64(bitPattern: v)
        case .fixedString(let n):
            guard case .string(var s) = value else { throw wrongType("a string", value) }
            let count = s.utf8.count
            guard count < n else {
                throw CodecError(.stringTooLong, path: "", reason: "string of \(count) bytes is too long: at most \(n - 1) fit in string[\(n)]")
            }
            s.withUTF8 { out.append(contentsOf: UnsafeRawBufferPointer($0)) }
            zeros(n - count)
            return 0
        case .variableString(let limit):
            guard case .string(var s) = value else { throw wrongType("a string", value) }
            let count = s.utf8.count
            if let limit, limit > 0, count > limit {
                throw CodecError(.stringTooLong, path: "", reason: "string of \(count) bytes exceeds the limit of \(limit)")
            }
            writeUnsigned(UInt64(count), 4)
            s.withUTF8 { out.append(contentsOf: UnsafeRawBufferPointer($0)) }
            return 0
        case .fixedBytes(let n):
            guard case .string(let s) = value else { throw wrongType("a \"0x…\" hex string", value) }
            let bytes = try hexBytes(s, path: nil)
            guard bytes.count == n else {
                throw CodecError(.wrongLength, path: "", reason: "expected \(n) bytes of hex, got \(bytes.count)")
            }
            out.append(contentsOf: bytes)
            return 0
        case .variableBytes:
            guard case .string(let s) = value else { throw wrongType("a \"0x…\" hex string", value) }
            out.append(contentsOf: try hexBytes(s, path: nil))
            return 0
        case .ip4Address:
            guard case .string(let s) = value, let b = AddressText.parseIP4(Substring(s)) else { throw badText("an IPv4 address like \"192.0.2.1\"", value) }
            out.append(contentsOf: b)
            return 0
        case .ip6Address:
            guard case .string(let s) = value, let b = AddressText.parseIP6(Substring(s)) else { throw badText("an IPv6 address like \"2001:db8::1\"", value) }
            out.append(contentsOf: b)
            return 0
        case .macAddress:
            guard case .string(let s) = value, let b = AddressText.parseMAC(Substring(s)) else { throw badText("a MAC address like \"02:fe:00:00:00:01\"", value) }
            out.append(contentsOf: b)
            return 0
        case .address:
            guard case .string(let s) = value, let a = parseAddress(Substring(s)) else { throw badText("an IPv4 or IPv6 address", value) }
            out.append(contentsOf: a)
            return 0
        case .prefix(let kind):
            try encodePrefix(kind, value)
            return 0
        case .structure(let s):
            guard case .object(let o) = value else { throw wrongType("an object", value) }
            try encodeFields(s, o, topLevel: false)
            return 0
        case .union(let u):
            try encodeUnion(u, value, discriminator: discriminatorSlot.map { Int64(slots[$0]) })
            return 0
        case .fixedArray(let element, let n):
            guard case .array(let a) = value else { throw wrongType("an array of \(n)", value) }
            guard a.count == n else {
                throw CodecError(.wrongLength, path: "", reason: "expected exactly \(n) elements, got \(a.count)")
            }
            try encodeElements(element, a)
            return 0
        case .variableArray(let element, _):
            guard case .array(let a) = value else { throw wrongType("an array", value) }
            try encodeElements(element, a)
            return 0
        }
    }

    private mutating func encodeElements(_ element: Node, _ a: [JSONValue]) throws(CodecError) {
        for (i, e) in a.enumerated() {
            do throws(CodecError) {
                _ = try encodeNode(element, e, slots: UnsafeMutableBufferPointer(start: nil, count: 0), discriminatorSlot: nil)
            } catch {
                throw error.under(String(i))
            }
        }
    }

    /// Canonical: one key, that arm. Several keys (VPP's own every-arm form): the arm the
    /// discriminator selects if present, else the first present arm of maximal size.
    private mutating func encodeUnion(_ u: UnionPlan, _ value: JSONValue, discriminator: Int64?) throws(CodecError) {
        guard case .object(let o) = value else { throw wrongType("an object with one of: \(u.arms.map(\.name).joined(separator: ", "))", value) }
        var present: [Int] = []
        for m in o {
            guard let i = u.arms.firstIndex(where: { $0.name == m.key }) else {
                throw CodecError(.unknownField, path: "", reason: "union \(u.name) has no member \(m.key); it has \(u.arms.map(\.name).joined(separator: ", "))").under(m.key)
            }
            present.append(i)
        }
        guard !present.isEmpty else {
            throw CodecError(.invalidValue, path: "", reason: "union \(u.name) needs one of its members: \(u.arms.map(\.name).joined(separator: ", "))")
        }
        var chosen = present[0]
        if present.count > 1 {
            if let d = discriminator, let selected = u.arm(forDiscriminator: d), present.contains(selected) {
                chosen = selected
            } else {
                let widest = present.map { u.arms[$0].size }.max() ?? 0
                chosen = present.sorted().first { u.arms[$0].size == widest } ?? present[0]
            }
        }
        let arm = u.arms[chosen]
        let start = out.count
        do throws(CodecError) {
            guard let v = o[arm.name] else { return }
            _ = try encodeNode(arm.node, v, slots: UnsafeMutableBufferPointer(start: nil, count: 0), discriminatorSlot: nil)
        } catch {
            throw error.under(arm.name)
        }
        zeros(u.size - (out.count - start))
    }

    private mutating func encodePrefix(_ kind: PrefixKind, _ value: JSONValue) throws(CodecError) {
        let what = kind == .ip4 ? "an IPv4 prefix like \"10.0.0.0/24\"" : kind == .ip6 ? "an IPv6 prefix like \"2001:db8::/32\"" : "a prefix like \"10.0.0.0/24\" or \"2001:db8::/32\""
        guard case .string(let s) = value, let slash = s.lastIndex(of: "/"),
              let len = UInt8(s[s.index(after: slash)...]), s[s.index(after: slash)...].allSatisfy(\.isASCII) else {
            throw badText(what, value)
        }
        let addr = s[..<slash]
        switch kind {
        case .any:
            guard let a = parseAddress(addr) else { throw badText(what, value) }
            guard len <= (a[0] == 0 ? 32 : 128) else { throw prefixLength(len) }
            out.append(contentsOf: a)
        case .ip4:
            guard let a = AddressText.parseIP4(addr) else { throw badText(what, value) }
            guard len <= 32 else { throw prefixLength(len) }
            out.append(contentsOf: a)
        case .ip6:
            guard let a = AddressText.parseIP6(addr) else { throw badText(what, value) }
            guard len <= 128 else { throw prefixLength(len) }
            out.append(contentsOf: a)
        }
        out.append(len)
    }

    /// `address` bytes: af 0 + IPv4 + 12 zero bytes, or af 1 + IPv6.
    private func parseAddress(_ s: Substring) -> [UInt8]? {
        if let v4 = AddressText.parseIP4(s) { return [0] + v4 + [UInt8](repeating: 0, count: 12) }
        if let v6 = AddressText.parseIP6(s) { return [1] + v6 }
        return nil
    }
}

extension BinaryEncoder {
    /// Reads an exact integer for `type` and returns its wire bit pattern.
    func integer(_ value: JSONValue, _ type: ScalarType) throws(CodecError) -> UInt64 {
        guard case .number(let n) = value else { throw wrongType("an integer (\(type.rawValue))", value) }
        guard let (negative, magnitude) = n.exactInteger else {
            throw CodecError(.outOfRange, path: "", reason: "\(n.text) is not an integer in range for \(type.rawValue)")
        }
        let bits = type.size * 8
        if type.isSigned {
            let maxPositive = (UInt64(1) << UInt64(bits - 1)) - 1
            if negative {
                guard magnitude <= maxPositive + 1 else { throw range(n.text, type) }
                return (0 &- magnitude) & maskFor(type.size)
            }
            guard magnitude <= maxPositive else { throw range(n.text, type) }
            return magnitude
        }
        guard !negative || magnitude == 0 else { throw range(n.text, type) }
        guard magnitude <= maskFor(type.size) else { throw range(n.text, type) }
        return magnitude
    }

    /// Reads a flag set: an array of names and integers (ORed), a single name, or an integer.
    func flags(_ value: JSONValue, _ e: EnumPlan) throws(CodecError) -> UInt64 {
        func one(_ v: JSONValue) throws(CodecError) -> UInt64 {
            switch v {
            case .string(let name):
                guard let m = e.value(named: name) else { throw unknownMember(name, e) }
                return UInt64(bitPattern: m) & e.mask
            case .number(let n):
                guard let u = n.uint64Value, u <= e.mask else {
                    throw CodecError(.outOfRange, path: "", reason: "flag bits \(n.text) do not fit \(e.width.rawValue) (vl_api_\(e.name)_t)")
                }
                return u
            default:
                throw wrongType("flag names of vl_api_\(e.name)_t or integers", v)
            }
        }
        if case .array(let items) = value {
            var acc: UInt64 = 0
            for (i, item) in items.enumerated() {
                do throws(CodecError) { acc |= try one(item) } catch { throw error.under(String(i)) }
            }
            return acc
        }
        return try one(value)
    }

    func hexBytes(_ s: String, path: String?) throws(CodecError) -> [UInt8] {
        let u = Array(s.utf8)
        guard u.count >= 2, u[0] == UInt8(ascii: "0"), u[1] | 0x20 == UInt8(ascii: "x") else {
            throw CodecError(.badHex, path: "", reason: "expected a \"0x\"-prefixed hex string").under(path)
        }
        guard u.count % 2 == 0 else {
            throw CodecError(.badHex, path: "", reason: "hex string has an odd number of digits").under(path)
        }
        var out: [UInt8] = []
        out.reserveCapacity(u.count / 2 - 1)
        var i = 2
        while i < u.count {
            guard let hi = hexValue(u[i]), let lo = hexValue(u[i + 1]) else {
                throw CodecError(.badHex, path: "", reason: "invalid hex digit at position \(i)").under(path)
            }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    func wrongType(_ expected: String, _ got: JSONValue) -> CodecError {
        CodecError(.wrongType, path: "", reason: "expected \(expected), got \(got.typeName)")
    }

    func badText(_ expected: String, _ got: JSONValue) -> CodecError {
        if case .string(let s) = got {
            return CodecError(.invalidValue, path: "", reason: "\"\(s.prefix(80))\" is not \(expected)")
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
