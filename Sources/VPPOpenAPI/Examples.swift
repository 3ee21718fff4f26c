import VPPJSON
import VPPSchema

/// Example values for the most used operations, valid against the generated schemas.
///
/// Answers are complete canonical objects: every field gets a neutral value of its type
/// (0, false, "", [] …) unless an override names it, so an example stays valid when a message
/// gains a field. Overrides for fields a message does not have are ignored.
struct ExampleBuilder {
    let schema: Schema
    let types: TypeClassifier

    /// Request bodies: only the fields given (all request fields are optional).
    static let requests: [String: [(String, JSONValue)]] = [
        "sw_interface_set_flags": [("sw_if_index", int(1)), ("flags", strings(["IF_STATUS_API_FLAG_ADMIN_UP"]))],
        "sw_interface_add_del_address": [("sw_if_index", int(1)), ("is_add", .bool(true)), ("del_all", .bool(false)),
                                         ("prefix", str("10.0.0.1/24"))],
        "cli_inband": [("cmd", str("show version"))],
        "sw_interface_dump": [("sw_if_index", int(UInt32.max)), ("name_filter_valid", .bool(false)),
                              ("name_filter", str(""))],
    ]

    /// Answers: overrides of the neutral values, one object per example item.
    static let answers: [String: [[(String, JSONValue)]]] = [
        "show_version_reply": [[("program", str("vpe")), ("version", str("26.06-release")),
                                ("build_date", str("2026-06-24T09:30:00")), ("build_directory", str("/w/workspace/vpp"))]],
        "cli_inband_reply": [[("reply", str("vpp v26.06-release built by root on build-host at 2026-06-24T09:30:00\n"))]],
        "sw_interface_set_flags_reply": [[]],
        "sw_interface_add_del_address_reply": [[]],
        "sw_interface_details": [
            [("sw_if_index", int(0)), ("sup_sw_if_index", int(0)), ("type", str("IF_API_TYPE_HARDWARE")),
             ("interface_name", str("local0")), ("interface_dev_type", str("local")), ("sub_if_flags", int(0))],
            [("sw_if_index", int(1)), ("sup_sw_if_index", int(1)), ("l2_address", str("02:fe:3c:4d:5e:01")),
             ("flags", strings(["IF_STATUS_API_FLAG_ADMIN_UP", "IF_STATUS_API_FLAG_LINK_UP"])),
             ("type", str("IF_API_TYPE_HARDWARE")), ("link_duplex", str("LINK_DUPLEX_API_FULL")),
             ("link_mtu", int(9000)), ("mtu", .array([int(9000), int(0), int(0), int(0)])),
             ("interface_name", str("loop0")), ("interface_dev_type", str("Loopback")), ("sub_if_flags", int(0))],
        ],
    ]

    /// The example request body of `name`, if it has one.
    func request(_ name: String) -> JSONValue? {
        guard let m = schema.messages[name], let values = Self.requests[name] else { return nil }
        return object(values.filter { v in m.fields.contains { $0.name == v.0 } }.map { ($0.0, $0.1) })
    }

    /// The example answers of `name` (one reply, or the items of a dump), if it has some.
    func answers(_ name: String) -> [JSONValue]? {
        guard let m = schema.messages[name], let items = Self.answers[name] else { return nil }
        return items.map { canonical(m, overrides: $0) }
    }

    /// A complete canonical object of `m`.
    func canonical(_ m: MessageDef, overrides: [(String, JSONValue)] = []) -> JSONValue {
        var members: [(String, JSONValue?)] = [("_msgname", str(m.name)), ("_crc", str(m.crc))]
        for f in m.fields where !APISurface.headerFields.contains(f.name) {
            members.append((f.name, overrides.first { $0.0 == f.name }?.1 ?? sample(f, depth: 0)))
        }
        return object(members)
    }

    /// A neutral value of a field.
    func sample(_ f: Field, depth: Int) -> JSONValue {
        switch f.cardinality {
        case .single:
            return sample(f.type, depth: depth)
        case .fixed(let n):
            if f.type == .string { return str("") }
            if f.type == .scalar(.u8) { return str("0x" + String(repeating: "00", count: n)) }
            return .array(Array(repeating: sample(f.type, depth: depth), count: n))
        case .variable:
            if f.type == .string { return str("") }
            if f.type == .scalar(.u8) { return str("0x") }
            return .array([])
        }
    }

    private func sample(_ t: TypeRef, depth: Int) -> JSONValue {
        if let sp = types.special(t) {
            switch sp {
            case .ip4Address, .address: return str("0.0.0.0")
            case .ip6Address: return str("::")
            case .macAddress: return str("00:00:00:00:00:00")
            case .prefix, .ip4Prefix: return str("0.0.0.0/0")
            case .ip6Prefix: return str("::/0")
            }
        }
        guard depth < 16 else { return .null }
        switch t {
        case .scalar(let s):
            switch s {
            case .bool: return .bool(false)
            case .f64: return .number(JSONNumber(text: "0.0"))
            default: return int(0)
            }
        case .string:
            return str("")
        case .enumeration(let name):
            guard let e = schema.enums[name] else { return int(0) }
            if e.isFlagSet { return .array([]) }
            return e.members.first.map { str($0.name) } ?? int(0)
        case .structure(let name):
            guard let s = schema.structs[name] else { return object([]) }
            return object(s.fields.map { ($0.name, sample($0, depth: depth + 1)) })
        case .union(let name):
            guard let u = schema.unions[name] else { return object([]) }
            return object(u.fields.map { ($0.name, sample($0, depth: depth + 1)) })
        case .alias(let name):
            guard let a = schema.aliases[name] else { return int(0) }
            if let n = a.length {
                return sample(Field(name: name, type: a.type, typeName: name, cardinality: .fixed(n)), depth: depth + 1)
            }
            return sample(a.type, depth: depth + 1)
        }
    }
}
