import VPPJSON
import VPPSchema

/// Walks a message's plan over a JSON document (a `JSONTape`) and writes the wire bytes.
///
/// Reads the canonical form and the lenient forms of the vectors README §3.10; anything else
/// is an error naming the field, and nothing is produced for the message.
struct BinaryEncoder: ~Copyable {
    var out: WireBuffer

    init(capacity: Int) {
        out = WireBuffer(capacity: capacity)
    }

    mutating func encodeMessage(_ plan: MessagePlan, _ object: Value, header: MessageHeader) throws(CodecError) {
        try encodeFields(plan.body, object, topLevel: true, header: header)
    }

    /// Encodes a struct from `object` (nil: an absent struct, every field defaulted).
    private mutating func encodeFields(_ plan: StructPlan, _ object: Value?, topLevel: Bool,
                                       header: MessageHeader = MessageHeader()) throws(CodecError) {
        // One allocation on the stack for both the member of each field and the slots.
        let fieldCount = plan.fields.count
        try withUnsafeTemporaryAllocation(of: Int.self, capacity: fieldCount + plan.slotCount) { scratch throws(CodecError) in
            scratch.initialize(repeating: -1)
            let memberOf = UnsafeMutableBufferPointer(rebasing: scratch[..<fieldCount])
            let slots = UnsafeMutableBufferPointer(rebasing: scratch[fieldCount...])
            slots.initialize(repeating: 0)
            if let object { try match(object, to: plan, topLevel: topLevel, into: memberOf) }
            try encodeFields(plan, object, memberOf, slots: slots, header: header)
        }
    }

    /// Finds, for each field, the member naming it in one pass over the members: the next member usually names the next field, so one
    /// comparison per member is the common cost. Fails on the first member (in document
    /// order) that names no field, except `_msgname` and `_crc` at the top level, or names
    /// a field a second time.
    /// `memberOf[f]` is the member's value token for the first field `f` of each name
    /// (`StructPlan.firstOfName`).
    private func match(_ object: Value, to plan: StructPlan, topLevel: Bool,
                       into memberOf: UnsafeMutableBufferPointer<Int>) throws(CodecError) {
        let names = plan.names
        var next = 0
        var k = object.index + 1
        for _ in 0..<object.count {
            let key = object.at(k)
            let f: Int
            if next < memberOf.count, names.name(next, equals: key) {
                f = plan.firstOfName[next]
                next += 1
            } else if topLevel, !plan.hasReservedName, key.equals(Self.msgname, nameIsASCII: true) || key.equals(Self.crc, nameIsASCII: true) {
                k = object.at(k + 1).next
                continue
            } else if let j = names.firstIndex(of: key) {
                f = j
                next = j + 1
            } else {
                throw CodecError(.unknownField, path: "", reason: "unknown field; \(plan.name) has \(plan.fields.filter(\.visible).map(\.name).joined(separator: ", "))").under(key.text)
            }
            // A repeated key is refused: JSON readers disagree on which one counts (Python and
            // JavaScript take the last), so a proxy and the gateway could act on different values.
            guard memberOf[f] < 0 else {
                throw CodecError(.duplicateField, path: "", reason: "the field is given more than once").under(key.text)
            }
            memberOf[f] = k + 1
            k = object.at(k + 1).next
        }
    }

    private static var msgname: UnsafeBufferPointer<UInt8> { bytes("_msgname") }
    private static var crc: UnsafeBufferPointer<UInt8> { bytes("_crc") }

    private static func bytes(_ s: StaticString) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount)
    }

    /// The value of field `i`, if a member names it.
    @inline(__always)
    private func member(_ i: Int, _ plan: StructPlan, _ object: Value?, _ memberOf: UnsafeMutableBufferPointer<Int>) -> Value? {
        guard let object else { return nil }
        let k = memberOf[plan.firstOfName[i]]
        return k >= 0 ? object.at(k) : nil
    }

    private mutating func encodeFields(_ plan: StructPlan, _ object: Value?, _ memberOf: UnsafeMutableBufferPointer<Int>,
                                       slots: UnsafeMutableBufferPointer<Int>, header: MessageHeader) throws(CodecError) {
        for i in plan.fields.indices {
            do throws(CodecError) {
                let value = member(i, plan, object, memberOf)
                if !plan.fields[i].visible {
                    let v: UInt64
                    switch plan.fields[i].name {
                    case "_vl_msg_id": v = UInt64(header.messageID ?? 0)
                    case "client_index":
                        if let c = header.clientIndex { v = UInt64(c) } else { v = try headerValue(value) }
                    default:
                        if let c = header.context { v = UInt64(c) } else { v = try headerValue(value) }
                    }
                    out.appendBigEndian(v, size: plan.fields[i].node.fixedSize ?? 4)
                    if let s = plan.fields[i].recordSlot { slots[s] = Int(truncatingIfNeeded: v) }
                    continue
                }
                let v: Int64
                if !plan.fields[i].lengthOf.isEmpty {
                    let derived = try derivedLength(plan, i, object, memberOf)
                    if let given = value {
                        guard given.kind == .number, let g = given.int64Value, g == derived else {
                            throw CodecError(.wrongLength, path: "", reason: "length field is \(given.json.jsonText) but the array it counts has \(derived) element\(derived == 1 ? "" : "s")")
                        }
                    }
                    v = try Value.with(.number(JSONNumber(integer: derived))) { n throws(CodecError) in
                        try encodeNode(plan.fields[i].node, n, slots: slots, discriminatorSlot: plan.fields[i].discriminatorSlot)
                    }
                } else if let value {
                    v = try encodeNode(plan.fields[i].node, value, slots: slots, discriminatorSlot: plan.fields[i].discriminatorSlot)
                } else if let d = plan.fields[i].defaultValue {
                    v = try Value.with(d) { d throws(CodecError) in
                        try encodeNode(plan.fields[i].node, d, slots: slots, discriminatorSlot: plan.fields[i].discriminatorSlot)
                    }
                } else {
                    v = 0
                    try encodeZero(plan.fields[i].node)
                }
                if let s = plan.fields[i].recordSlot { slots[s] = Int(truncatingIfNeeded: v) }
            } catch {
                throw error.under(plan.fields[i].name)
            }
        }
    }

    /// A header field given in the JSON itself (when the caller supplies none).
    private func headerValue(_ value: Value?) throws(CodecError) -> UInt64 {
        guard let value else { return 0 }
        return try integer(value, .u32)
    }

    /// The element count of the VLAs a length field counts; they must agree.
    private func derivedLength(_ plan: StructPlan, _ i: Int, _ object: Value?,
                               _ memberOf: UnsafeMutableBufferPointer<Int>) throws(CodecError) -> Int64 {
        var result: Int64?
        let field = plan.fields[i]
        for index in field.lengthOf {
            let vla = plan.fields[index]
            let n: Int64
            if let m = member(index, plan, object, memberOf) {
                switch m.kind {
                case .array: n = Int64(m.count)
                case .string:
                    guard case .variableBytes = vla.node else {
                        throw CodecError(.wrongType, path: "", reason: "expected an array, got a string").under(vla.name)
                    }
                    n = Int64(try hexByteCount(m, path: vla.name))
                default:
                    throw CodecError(.wrongType, path: "", reason: "expected an array, got \(m.typeName)").under(vla.name)
                }
            } else {
                n = 0
            }
            if let r = result, r != n {
                throw CodecError(.wrongLength, path: "", reason: "arrays counted by \(field.name) have different lengths")
            }
            result = n
        }
        return result ?? 0
    }

    /// An absent field with no default: zero, empty, or all-zero bytes.
    private mutating func encodeZero(_ node: Node) throws(CodecError) {
        // Defaults apply inside typedefs even when the whole typedef is absent (vectors
        // README §3.8; vpp_papi fills them the same way).
        if let size = node.fixedSize, !node.holdsDefaults {
            out.zeros(size)
            return
        }
        switch node {
        case .variableString: out.zeros(4)
        case .variableBytes, .variableArray: break // its length field was derived as 0
        case .structure(let s): try encodeFields(s, nil, topLevel: false)
        case .fixedArray(let element, let n):
            for _ in 0..<n { try encodeZero(element) }
        default: throw CodecError(.invalidValue, path: "", reason: "cannot default this field")
        }
    }

    private mutating func encodeNode(_ node: Node, _ value: Value, slots: UnsafeMutableBufferPointer<Int>,
                                     discriminatorSlot: Int?) throws(CodecError) -> Int64 {
        switch node {
        case .scalar(let s):
            switch s {
            case .bool:
                guard value.kind == .true || value.kind == .false else { throw wrongType("a boolean", value) }
                out.append(value.kind == .true ? 1 : 0)
                return value.kind == .true ? 1 : 0
            case .f64:
                guard value.kind == .number, let d = Double(value.text), d.isFinite else {
                    if value.kind == .number { throw CodecError(.outOfRange, path: "", reason: "number \(value.text) does not fit an f64") }
                    throw wrongType("a number", value)
                }
                out.appendLittleEndian(d)
                return 0
            default:
                let v = try integer(value, s)
                out.appendBigEndian(v, size: s.size)
                return s.isSigned ? signExtend(v, s.size) : Int64(bitPattern: v)
            }
        case .plainEnum(let e):
            let v: UInt64
            switch value.kind {
            case .string:
                guard let m = memberValue(value, e) else { throw unknownMember(value.text, e) }
                v = UInt64(bitPattern: m)
            case .number:
                v = try integer(value, e.width)
            default:
                throw wrongType("a member name of vl_api_\(e.name)_t or its integer value", value)
            }
            out.appendBigEndian(v, size: e.width.size)
            return e.width.isSigned ? signExtend(v, e.width.size) : Int64(bitPattern: v)
        case .flagSet(let e):
            let v = try flags(value, e)
            out.appendBigEndian(v, size: e.width.size)
            return Int64(bitPattern: v)
        case .fixedString(let n):
            guard value.kind == .string else { throw wrongType("a string", value) }
            let bytes = value.utf8
            guard bytes.count < n else {
                throw CodecError(.stringTooLong, path: "", reason: "string of \(bytes.count) bytes is too long: at most \(n - 1) fit in string[\(n)]")
            }
            // VPP reads a fixed string up to its first NUL: what follows one would be lost.
            guard !bytes.contains(0) else {
                throw CodecError(.invalidValue, path: "", reason: "a NUL character would end string[\(n)] there; VPP would not see the rest")
            }
            out.append(contentsOf: UnsafeRawBufferPointer(bytes))
            out.zeros(n - bytes.count)
            return 0
        case .variableString(let limit):
            guard value.kind == .string else { throw wrongType("a string", value) }
            let bytes = value.utf8
            if let limit, limit > 0, bytes.count > limit {
                throw CodecError(.stringTooLong, path: "", reason: "string of \(bytes.count) bytes exceeds the limit of \(limit)")
            }
            out.appendBigEndian(UInt64(bytes.count), size: 4)
            out.append(contentsOf: UnsafeRawBufferPointer(bytes))
            return 0
        case .fixedBytes(let n):
            guard value.kind == .string else { throw wrongType("a \"0x…\" hex string", value) }
            // Fewer bytes are right-padded with zeros (vectors README §3.8, §5; vpp_papi and
            // VPP's vl_api_u8_string_fromjson do the same); more is an error.
            let count = try hexByteCount(value, path: nil)
            guard count <= n else {
                throw CodecError(.wrongLength, path: "", reason: "expected at most \(n) bytes of hex, got \(count)")
            }
            appendHex(value)
            out.zeros(n - count)
            return 0
        case .variableBytes:
            guard value.kind == .string else { throw wrongType("a \"0x…\" hex string", value) }
            _ = try hexByteCount(value, path: nil)
            appendHex(value)
            return 0
        case .ip4Address:
            guard value.kind == .string, let b = AddressText.parseIP4(utf8: value.utf8) else { throw badText("an IPv4 address like \"192.0.2.1\"", value) }
            out.append(contentsOf: b)
            return 0
        case .ip6Address:
            guard value.kind == .string, let b = AddressText.parseIP6(utf8: value.utf8) else { throw badText("an IPv6 address like \"2001:db8::1\"", value) }
            out.append(contentsOf: b)
            return 0
        case .macAddress:
            guard value.kind == .string, let b = AddressText.parseMAC(utf8: value.utf8) else { throw badText("a MAC address like \"02:fe:00:00:00:01\"", value) }
            out.append(contentsOf: b)
            return 0
        case .address:
            guard value.kind == .string, let a = parseAddress(value.utf8) else { throw badText("an IPv4 or IPv6 address", value) }
            out.append(contentsOf: a)
            return 0
        case .prefix(let kind):
            try encodePrefix(kind, value)
            return 0
        case .structure(let s):
            guard value.kind == .object else { throw wrongType("an object", value) }
            try encodeFields(s, value, topLevel: false)
            return 0
        case .union(let u):
            try encodeUnion(u, value, discriminator: discriminatorSlot.map { Int64(slots[$0]) })
            return 0
        case .fixedArray(let element, let n):
            guard value.kind == .array else { throw wrongType("an array of \(n)", value) }
            guard value.count == n else {
                throw CodecError(.wrongLength, path: "", reason: "expected exactly \(n) elements, got \(value.count)")
            }
            try encodeElements(element, value)
            return 0
        case .variableArray(let element, _):
            guard value.kind == .array else { throw wrongType("an array", value) }
            try encodeElements(element, value)
            return 0
        }
    }

    private mutating func encodeElements(_ element: Node, _ array: Value) throws(CodecError) {
        var k = array.index + 1
        for i in 0..<array.count {
            let e = array.at(k)
            do throws(CodecError) {
                _ = try encodeNode(element, e, slots: UnsafeMutableBufferPointer(start: nil, count: 0), discriminatorSlot: nil)
            } catch {
                throw error.under(String(i))
            }
            k = e.next
        }
    }

    /// Canonical: one key, that arm. Several keys (VPP's own every-arm form): the arm the
    /// discriminator selects if present, else the first present arm of maximal size.
    private mutating func encodeUnion(_ u: UnionPlan, _ value: Value, discriminator: Int64?) throws(CodecError) {
        guard value.kind == .object else { throw wrongType("an object with one of: \(u.arms.map(\.name).joined(separator: ", "))", value) }
        var present: [Int] = []
        // The value of the first member naming each present arm.
        var armValue: [Int: Int] = [:]
        var k = value.index + 1
        for _ in 0..<value.count {
            let key = value.at(k)
            guard let i = u.names.firstIndex(of: key) else {
                throw CodecError(.unknownField, path: "", reason: "union \(u.name) has no member \(key.text); it has \(u.arms.map(\.name).joined(separator: ", "))").under(key.text)
            }
            present.append(i)
            if armValue[i] == nil { armValue[i] = k + 1 }
            k = value.at(k + 1).next
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
            guard let v = armValue[chosen] else { return }
            _ = try encodeNode(arm.node, value.at(v), slots: UnsafeMutableBufferPointer(start: nil, count: 0), discriminatorSlot: nil)
        } catch {
            throw error.under(arm.name)
        }
        out.zeros(u.size - (out.count - start))
    }

    private mutating func encodePrefix(_ kind: PrefixKind, _ value: Value) throws(CodecError) {
        let what = kind == .ip4 ? "an IPv4 prefix like \"10.0.0.0/24\"" : kind == .ip6 ? "an IPv6 prefix like \"2001:db8::/32\"" : "a prefix like \"10.0.0.0/24\" or \"2001:db8::/32\""
        guard value.kind == .string else { throw badText(what, value) }
        let s = value.text
        guard let slash = s.lastIndex(of: "/"),
              let len = UInt8(s[s.index(after: slash)...]), s[s.index(after: slash)...].allSatisfy(\.isASCII) else {
            throw badText(what, value)
        }
        let addr = s[..<slash]
        // A length beyond the family is refused (README, Canonical JSON): VPP's handlers pass
        // it on unchecked (e.g. sw_interface_add_del_address, interface_api.c:420-426).
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

    /// `parseAddress` of a string's UTF-8.
    private func parseAddress(_ s: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        if let v4 = AddressText.parseIP4(utf8: s) { return [0] + v4 + [UInt8](repeating: 0, count: 12) }
        if let v6 = AddressText.parseIP6(utf8: s) { return [1] + v6 }
        return nil
    }

    /// The bytes of a hex string already checked by `hexByteCount`.
    private mutating func appendHex(_ value: Value) {
        let u = value.utf8
        var i = 2
        while i + 1 < u.count {
            out.append((hexValue(u[i]) ?? 0) << 4 | (hexValue(u[i + 1]) ?? 0))
            i += 2
        }
    }
}
