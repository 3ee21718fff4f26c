import Logging
import Synchronization
import VPPCodec
import VPPSchema

/// Everything known about one successful connection to VPP: the schema the client speaks,
/// its codec, the live id table, and who VPP is.
///
/// Immutable; a new session replaces it after every reconnect (ids may differ after a
/// restart, notes §1.3). Upper layers read `VPPClient.session` to render schema pages,
/// OpenAPI and availability, and observe `VPPClient.stateChanges()` to learn of a new one.
public final class VPPSession: Sendable {
    /// The merged schema: live `get_api_json` (when offered) over `--api-dir` over the
    /// built-in memclnt.
    public let schema: Schema
    /// The codec compiled for `schema` (shared by every call of this session).
    public let codec: Codec
    /// Our client index: the `index` of `sockclnt_create_reply` (socket_api.c:512).
    public let clientIndex: UInt32
    /// VPP's process id from `control_ping_reply.vpe_pid` (memclnt_api.c:128-135).
    public let vpePID: UInt32
    /// Entries in VPP's message table.
    public let messageCount: Int
    /// Which schema messages the connected VPP offers.
    public let availability: SchemaAvailability
    /// True when the schema includes VPP's own `get_api_json` answer.
    public let liveSchemaLoaded: Bool
    /// Problems found while loading the schemas (logged; the session works without them).
    public let schemaProblems: [SchemaProblem]
    /// The socket this session is connected to.
    public let socketPath: String
    let table: MessageTable

    init(schema: Schema, codec: Codec, clientIndex: UInt32, vpePID: UInt32, table: MessageTable,
         liveSchemaLoaded: Bool, schemaProblems: [SchemaProblem], socketPath: String) {
        self.schema = schema
        self.codec = codec
        self.clientIndex = clientIndex
        self.vpePID = vpePID
        self.table = table
        self.messageCount = table.count
        self.availability = table.availability
        self.liveSchemaLoaded = liveSchemaLoaded
        self.schemaProblems = schemaProblems
        self.socketPath = socketPath
    }

    /// The id VPP uses for `name` on this connection, nil when unavailable.
    public func messageID(of name: String) -> UInt16? { table.id(of: name) }

    /// The message name for an id received on this connection.
    public func messageName(id: UInt16) -> String? { table.inbound(id)?.name }

    /// Decodes a raw message received on this connection (e.g. from `sendRaw`).
    public func decode(_ raw: VPPRawMessage) throws(VPPError) -> DecodedMessage {
        guard let info = table.inbound(raw.messageID) else {
            throw .malformedReply(message: "message id \(raw.messageID)",
                                  CodecError(.unknownMessage, path: "", reason: "VPP's table has no message id \(raw.messageID)"))
        }
        guard info.decodable else {
            throw .messageUnavailable(info.name, unavailableReason(info.name))
        }
        do {
            return try codec.decode(raw.bytes, as: info.name)
        } catch {
            throw .malformedReply(message: info.name, error)
        }
    }

    /// Why `name` cannot be sent (for error messages).
    func unavailableReason(_ name: String) -> UnavailableReason {
        switch availability.status(of: name) {
        case .none: return .notInSchema
        case .missing: return .missingInVPP(schemaCRC: schema.message(name)?.crc ?? "")
        case .crcMismatch(let s, let v): return .crcMismatch(schemaCRC: s, vppCRC: v)
        case .available:
            if let why = codec.unsupported[name] { return .unsupported(why) }
            return .notInSchema
        }
    }
}

/// Loads and caches the schemas a session needs.
///
/// The local part (`--api-dir`, a given schema, built-in memclnt) is loaded once. The live
/// part comes from `get_api_json` on every connect; when VPP returns the same text as last
/// time (a reconnect to the same VPP build), the merged schema and its compiled codec are
/// reused instead of being rebuilt.
final class SchemaStore: Sendable {
    private struct Local {
        let schema: Schema
        let problems: [SchemaProblem]
    }

    private struct Cached {
        let liveJSON: [UInt8]?
        let schema: Schema
        let codec: Codec
        let problems: [SchemaProblem]
    }

    private let configuration: VPPClientConfiguration
    private let local = Mutex<Local?>(nil)
    private let cached = Mutex<Cached?>(nil)
    private let logger: Logger

    init(configuration: VPPClientConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    private func localSchema() -> Local {
        if let l = local.withLock({ $0 }) { return l }
        var schema = Schema.empty
        var problems: [SchemaProblem] = []
        if !configuration.apiDirectories.isEmpty {
            var loader = SchemaLoader()
            for path in configuration.apiDirectories { loader.add(path: path) }
            let (s, p) = loader.buildAllowingProblems()
            schema = s
            problems = p
            logger.info("loaded local API definitions", metadata: [
                "messages": "\(s.messages.count)", "problems": "\(p.count)",
                "paths": "\(configuration.apiDirectories.joined(separator: ","))"])
        }
        if let given = configuration.localSchema { schema = schema.merging(given) }
        schema = schema.merging(Memclnt.schema)
        let l = Local(schema: schema, problems: problems)
        local.withLock { $0 = l }
        return l
    }

    /// The merged schema and codec for a connection whose `get_api_json` returned
    /// `liveJSON` (nil: not offered or not asked).
    func schema(liveJSON: [UInt8]?) -> (Schema, Codec, [SchemaProblem]) {
        if let c = cached.withLock({ $0 }), c.liveJSON == liveJSON {
            return (c.schema, c.codec, c.problems)
        }
        let l = localSchema()
        var schema = l.schema
        var problems = l.problems
        if let liveJSON {
            var loader = SchemaLoader()
            loader.add(json: liveJSON, source: "get_api_json")
            let (live, p) = loader.buildAllowingProblems()
            problems += p
            // The live VPP wins: its definitions match its CRCs by construction.
            schema = live.merging(schema)
            logger.info("loaded VPP's own API definitions (get_api_json)", metadata: [
                "messages": "\(live.messages.count)", "bytes": "\(liveJSON.count)", "problems": "\(p.count)"])
        }
        let codec = Codec(schema: schema)
        cached.withLock { $0 = Cached(liveJSON: liveJSON, schema: schema, codec: codec, problems: problems) }
        return (schema, codec, problems)
    }
}
