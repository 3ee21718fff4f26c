import VPPSchema

/// Whether the connected VPP offers each message of the schema, as its message table says.
///
/// Compatibility is an exact `<name>_<crc>` match (notes §1.3; vpp_papi only creates
/// functions for matching keys, vpp_papi.py:582-600). Messages that are missing or have
/// another CRC are refused by `VPPClient` with `VPPError.messageUnavailable`.
public struct SchemaAvailability: Sendable {
    /// One message's standing.
    public enum Status: Sendable, Equatable {
        /// VPP has the message with the schema's CRC, under this id.
        case available(id: UInt16)
        /// VPP has no message of this name.
        case missing
        /// VPP has the message under another CRC (its layout differs).
        case crcMismatch(schemaCRC: String, vppCRC: String)
    }

    /// Status of every schema message, by name.
    public let statuses: [String: Status]
    /// Table keys (`name_crc`) VPP offers whose name no loaded definition has.
    public let unknownToSchema: [String]

    /// Creates a report.
    public init(statuses: [String: Status], unknownToSchema: [String]) {
        self.statuses = statuses
        self.unknownToSchema = unknownToSchema
    }

    /// The status of `name`, nil when the schema does not define it.
    public func status(of name: String) -> Status? { statuses[name] }

    /// Names of available messages, sorted.
    public var available: [String] {
        statuses.compactMap { if case .available = $0.value { return $0.key } else { return nil } }.sorted()
    }

    /// Names of messages VPP lacks, sorted.
    public var missing: [String] {
        statuses.compactMap { $0.value == .missing ? $0.key : nil }.sorted()
    }

    /// Messages VPP has with another CRC, sorted by name.
    public var mismatched: [(name: String, schemaCRC: String, vppCRC: String)] {
        statuses.compactMap { e -> (String, String, String)? in
            if case .crcMismatch(let s, let v) = e.value { return (e.key, s, v) }
            return nil
        }.sorted { $0.0 < $1.0 }
    }

    /// A one-line summary for logs: "2093 available, 4 missing, 1 CRC mismatch".
    public var summary: String {
        var a = 0, m = 0, c = 0
        for s in statuses.values {
            switch s {
            case .available: a += 1
            case .missing: m += 1
            case .crcMismatch: c += 1
            }
        }
        return "\(a) available, \(m) missing, \(c) CRC mismatch\(c == 1 ? "" : "es"), \(unknownToSchema.count) unknown to the schema"
    }
}

/// How to route one incoming message id.
struct InboundInfo: Sendable {
    /// The message name (from the schema, or parsed from VPP's table key).
    let name: String
    /// Byte offset of `context`, nil for events (no `context` field, notes §1.8).
    let contextOffset: Int?
    /// True when the schema's definition matches VPP's CRC, so the codec may decode it.
    let decodable: Bool
}

/// How to send one message, resolved once per connection.
struct OutboundInfo: Sendable {
    /// The id on this connection.
    let id: UInt16
    /// The service pattern, nil when no service names the message.
    let pattern: Service.Pattern?
    /// The reply or details message VPP lacks or has with another CRC: sending would
    /// work, but the answer could not be read, so the request is refused beforehand.
    let blockedBy: String?
}

/// The live `name_crc` ↔ id mapping of one connection.
///
/// Ids outside memclnt are handed out at runtime per module in registration order
/// (api_shared.c:883-923), so they differ between VPP builds and even between restarts
/// with another plugin set: the table is rebuilt from `sockclnt_create_reply` on every
/// connect and never cached across connections.
final class MessageTable: Sendable {
    /// Routing by id (index = id).
    private let inbound: [InboundInfo?]
    /// Sendable messages, only when VPP's CRC equals the schema's.
    private let outbound: [String: OutboundInfo]
    /// The availability report.
    let availability: SchemaAvailability
    /// Number of entries in VPP's table.
    let count: Int
    /// `control_ping` / `control_ping_reply` ids (fixed in memclnt, read from the table).
    let controlPingID: UInt16
    let controlPingReplyID: UInt16

    /// Builds the table from VPP's entries (`index`, `name_crc`) and the schema.
    init(entries: [(id: UInt16, nameCRC: String)], schema: Schema) {
        var inbound = [InboundInfo?](repeating: nil, count: Int(entries.map(\.id).max() ?? 0) + 1)
        var outbound: [String: UInt16] = [:]
        var vppCRCByName: [String: (crc: String, id: UInt16)] = [:]
        var unknown: [String] = []
        for (id, key) in entries {
            let (name, crc) = Self.split(key)
            vppCRCByName[name] = (crc, id)
            if let def = schema.message(nameCRC: key) {
                inbound[Int(id)] = InboundInfo(name: def.name, contextOffset: Self.contextOffset(def), decodable: true)
                outbound[def.name] = id
            } else if let def = schema.message(name) {
                // Same name, other CRC: route by the schema's header layout so a caller
                // waiting on it gets a clear error instead of a timeout, but never decode it.
                inbound[Int(id)] = InboundInfo(name: def.name, contextOffset: Self.contextOffset(def), decodable: false)
            } else {
                unknown.append(key)
                // Conventional reply/details header: u16 id, u32 context (notes §1.2).
                let conventional = name.hasSuffix("_reply") || name.hasSuffix("_details")
                inbound[Int(id)] = InboundInfo(name: name, contextOffset: conventional ? 2 : nil, decodable: false)
            }
        }
        var statuses: [String: SchemaAvailability.Status] = [:]
        for def in schema.messages.values {
            if let id = outbound[def.name] {
                statuses[def.name] = .available(id: id)
            } else if let live = vppCRCByName[def.name] {
                statuses[def.name] = .crcMismatch(schemaCRC: def.crc, vppCRC: live.crc)
            } else {
                statuses[def.name] = .missing
            }
        }
        var resolved: [String: OutboundInfo] = [:]
        resolved.reserveCapacity(outbound.count)
        for (name, id) in outbound {
            let service = schema.service(for: name)
            var answers: [String] = []
            if let service {
                if let r = service.reply, r != "null" { answers.append(r) }
                if let d = service.streamMessage { answers.append(d) }
            }
            let blocked = answers.first { a in
                if case .available = statuses[a] { return false }
                return statuses[a] != nil || schema.message(a) == nil
            }
            resolved[name] = OutboundInfo(id: id, pattern: service?.pattern, blockedBy: blocked)
        }
        self.inbound = inbound
        self.outbound = resolved
        self.availability = SchemaAvailability(statuses: statuses, unknownToSchema: unknown.sorted())
        self.count = entries.count
        self.controlPingID = resolved["control_ping"]?.id ?? Memclnt.controlPing
        self.controlPingReplyID = resolved["control_ping_reply"]?.id ?? Memclnt.controlPingReply
    }

    /// The table used during the handshake, before VPP's table is known: memclnt's fixed ids.
    static let bootstrap: MessageTable = {
        let schema = Memclnt.schema
        let entries = Memclnt.fixedIDs.compactMap { name, id -> (id: UInt16, nameCRC: String)? in
            schema.message(name).map { (id, $0.nameCRC) }
        }
        return MessageTable(entries: entries, schema: schema)
    }()

    /// Routing for `id`.
    @inline(__always)
    func inbound(_ id: UInt16) -> InboundInfo? {
        Int(id) < inbound.count ? inbound[Int(id)] : nil
    }

    /// The id to send `name` with, when VPP offers it with the schema's CRC.
    @inline(__always)
    func id(of name: String) -> UInt16? { outbound[name]?.id }

    /// How to send `name`, nil when VPP does not offer it with the schema's CRC.
    @inline(__always)
    func outboundInfo(_ name: String) -> OutboundInfo? { outbound[name] }

    /// Splits VPP's key `<name>_<crc8>` (socket_api.c:517-525).
    static func split(_ key: String) -> (name: String, crc: String) {
        guard let us = key.lastIndex(of: "_") else { return (key, "") }
        return (String(key[..<us]), String(key[key.index(after: us)...]))
    }

    /// Where `context` sits: after the fixed-size header scalars before it
    /// (`_vl_msg_id` for replies → 2; `_vl_msg_id, client_index` for requests →
    /// 6; `sockclnt_create_reply` has `client_index` first, so 6 as well). Nil when the
    /// message has no `context` (an event) or something variable precedes it.
    static func contextOffset(_ def: MessageDef) -> Int? {
        var offset = 0
        for field in def.fields {
            if field.name == "context" { return offset }
            guard case .scalar(let s) = field.type, field.cardinality == .single else { return nil }
            offset += s.size
        }
        return nil
    }
}
