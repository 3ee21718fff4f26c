import VPPCodec
import VPPJSON
import VPPSchema

/// How to register for one event with VPP: which `want_*` message, with which arguments,
/// how to say enable/disable, and which `pid` identifies the registration.
///
/// Some services declare events without being registrations the gateway can own: they have
/// no enable field, and VPP sends the events as a side effect of the call itself
/// (`dhcp_client_config` → `dhcp_compl_event`, `want_ping_finished_events`, which starts a
/// ping). Their plan is *passive*: nothing is sent to VPP, subscribers see whatever such
/// events reach the gateway's connection after somebody makes the call.
///
/// Event APIs are irregular (notes §1.8, FDio/govpp#63): the enable field is `enable_disable`
/// (u32 or bool) in some and `enable` in others, some take filters (`want_ip_neighbor_events_v2`
/// takes `ip` and `sw_if_index`), some carry global knobs (`want_l2_macs_events`). Everything
/// here is read from the schema, so a plugin's `want_*` works like VPP's own.
struct RegistrationPlan: Sendable {
    let want: String
    /// Every event this registration enables (from the service's `events` list).
    let events: [String]
    let key: RegistrationKey
    /// The enable field; nil for a passive plan (nothing is sent to VPP).
    let enableField: String?
    let enableIsBool: Bool
    let hasPID: Bool
    let pid: UInt32
    /// Canonical arguments (everything but the header, the enable field and pid).
    let arguments: JSONObject
    private let eventFields: [Field]
    private let schema: Schema

    /// Equality filters implied by the arguments: an argument named like a top-level event
    /// field and not the "all" value (~0) selects those events. VPP does not always keep
    /// registrations apart by argument — `want_wireguard_peer_events` registers the client
    /// per peer and sends events with pid 0 (wireguard_api.c:375-431) — so a subscriber of
    /// `peer_index=2` would otherwise also get the events another registration asked for.
    let impliedFilters: JSONObject

    init(_ selector: EventSelector, codec: Codec) throws(EventHubError) {
        let schema = codec.schema
        self.schema = schema
        guard let event = schema.message(selector.event) else {
            throw .unknownEvent(selector.event, detail: "no such message in the loaded schema")
        }
        guard event.kind == .event else {
            throw .unknownEvent(selector.event, detail: "\(selector.event) is a \(event.kind.rawValue) message, not an event")
        }
        guard let wantName = schema.registration(for: selector.event), let want = schema.message(wantName) else {
            throw .unknownEvent(selector.event, detail: "no want_* message registers for it")
        }
        self.want = wantName
        events = schema.service(for: wantName)?.events.nilIfEmpty ?? [selector.event]
        eventFields = event.fields
        guard let enable = want.enableField else {
            if let argument = selector.registrationArguments.members.first {
                throw .invalidArgument(pointer: "/" + argument.key,
                                       detail: "\(selector.event) is sent after POST /v1/\(wantName) calls, which the gateway does not make itself; \(argument.key) belongs to that call")
            }
            enableField = nil
            enableIsBool = false
            hasPID = false
            arguments = JSONObject()
            impliedFilters = JSONObject()
            key = RegistrationKey(want: wantName, arguments: "passive")
            pid = Self.stablePID(key)
            return
        }
        enableField = enable.name
        enableIsBool = Self.isBool(enable.type, schema)
        hasPID = want.fields.contains { $0.name == "pid" }
        let reserved: Set<String> = ["_vl_msg_id", "client_index", "context", "pid", enable.name]
        for m in selector.registrationArguments where reserved.contains(m.key) || !want.fields.contains(where: { $0.name == m.key }) {
            let allowed = want.fields.map(\.name).filter { !reserved.contains($0) }
            throw .invalidArgument(pointer: "/" + m.key,
                                   detail: "\(wantName) has no argument \(m.key)" + (allowed.isEmpty ? "" : "; it takes \(allowed.joined(separator: ", "))"))
        }
        // Canonical arguments: encode and decode, so `sw_if_index=01` and `1` are one
        // registration and bad values fail here, before VPP sees them.
        var probe = selector.registrationArguments
        probe.append(enable.name, enableIsBool ? .bool(true) : .number(JSONNumber(integer: 1)))
        let canonical: JSONObject
        do {
            let bytes = try codec.encode(.object(probe), as: wantName, header: MessageHeader(messageID: 0, clientIndex: 0, context: 0))
            let decoded = try codec.decode(bytes, as: wantName)
            guard case .object(let o) = try JSONParser.parse(decoded.json) else { throw CodecError(.invalidValue, path: "", reason: "not an object") }
            canonical = o
        } catch let e as CodecError {
            throw .invalidArgument(pointer: e.path, detail: e.reason)
        } catch {
            throw .invalidArgument(pointer: "", detail: "\(error)")
        }
        arguments = JSONObject(canonical.members.filter { !reserved.contains($0.key) && $0.key != "_msgname" && $0.key != "_crc" })
        key = RegistrationKey(want: wantName, arguments: JSONValue.object(arguments).jsonText)
        pid = Self.stablePID(key)
        impliedFilters = JSONObject(arguments.members.filter { m in
            guard let f = event.fields.first(where: { $0.name == m.key }),
                  let scalar = Self.unsignedScalar(f.type, schema),
                  let value = m.value.numberValue?.uint64Value else { return false }
            return value != UInt64.max >> (64 - 8 * scalar.size)
        })
    }

    /// The registration's `pid`: derived from its key, so that it is the same after a
    /// gateway restart. VPP's `want_l2_macs_events` allows one subscriber, identified by
    /// pid and never cleaned up when a client goes away (l2_api.c:255-302): a gateway that
    /// died without disabling it takes its own registration back instead of getting -124
    /// until VPP restarts. Two registrations of one gateway still get different pids
    /// (FNV-1a over the key), which routes ip_neighbor's per-pid events.
    static func stablePID(_ key: RegistrationKey) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for b in key.want.utf8 + [0] + key.arguments.utf8 {
            h = (h ^ UInt32(b)) &* 16_777_619
        }
        return h == 0 ? 1 : h
    }

    /// The unsigned integer type behind `t` (through aliases), nil for anything else.
    private static func unsignedScalar(_ t: TypeRef, _ schema: Schema) -> ScalarType? {
        switch t {
        case .scalar(let s): s.isInteger && !s.isSigned ? s : nil
        case .alias(let a): schema.aliases[a].flatMap { unsignedScalar($0.type, schema) }
        default: nil
        }
    }

    /// True when nothing is sent to VPP: the events come from other callers' requests.
    var isPassive: Bool { enableField == nil }

    /// The `want_*` fields for enabling or disabling this registration.
    func fields(enable: Bool) -> JSONObject {
        var o = arguments
        if let enableField {
            o.append(enableField, enableIsBool ? .bool(enable) : .number(JSONNumber(integer: enable ? 1 : 0)))
        }
        if hasPID { o.append("pid", .number(JSONNumber(integer: pid))) }
        return o
    }

    /// Validates filters against the event's fields (dotted names reach into typedefs).
    func filter(_ filters: JSONObject) throws(EventHubError) -> EventFilter {
        for m in filters {
            var fields = eventFields
            for (i, part) in m.key.split(separator: ".").enumerated() {
                guard let f = fields.first(where: { $0.name == part }), !["_vl_msg_id", "client_index"].contains(f.name) else {
                    let names = fields.map(\.name).filter { !["_vl_msg_id", "client_index"].contains($0) }
                    throw .invalidArgument(pointer: "/" + m.key.replacingDots(),
                                           detail: "no event field \(m.key); \(i == 0 ? "the event has" : "that object has") \(names.joined(separator: ", "))")
                }
                if case .structure(let s) = f.type { fields = schema.structs[s]?.fields ?? [] } else { fields = [] }
            }
        }
        return EventFilter(filters)
    }

    private static func isBool(_ t: TypeRef, _ schema: Schema) -> Bool {
        switch t {
        case .scalar(let s): return s == .bool
        case .alias(let a): return schema.aliases[a].map { isBool($0.type, schema) } ?? false
        default: return false
        }
    }
}

extension Array {
    var nilIfEmpty: Self? { isEmpty ? nil : self }
}

extension String {
    func replacingDots() -> String { split(separator: ".").joined(separator: "/") }
}
