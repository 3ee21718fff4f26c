import VPPSchema

/// The gateway's HTTP surface for a schema: which messages get which routes.
///
/// The OpenAPI document is generated from this, and the gateway can route with it, so the two
/// cannot drift apart. Every list is sorted by name.
public struct APISurface: Sendable {
    /// `POST /v1/{name}` (and `GET` when read-only): a request answered by one reply.
    public struct Call: Sendable, Equatable {
        /// The request message.
        public let name: String
        /// Its reply message.
        public let reply: String
        /// True when `GET /v1/{name}` is offered too (query parameters as fields).
        public let readOnly: Bool
        /// The fields a `GET` takes as query parameters (see `APISurface.isQueryField`).
        public let queryFields: [String]
    }

    /// `GET` and `POST /v1/{name}`: a dump (details closed by control_ping) or a get/stream
    /// call (details pages chained by a cursor, which the gateway follows itself).
    public struct Dump: Sendable, Equatable {
        /// The dump or get request message.
        public let name: String
        /// The details message each item is.
        public let details: String
        /// True for get/stream calls.
        public let isGetStream: Bool
        /// The request field the gateway pages with (`cursor`): not part of the HTTP input.
        public let cursorField: String?
        /// The fields a `GET` takes as query parameters.
        public let queryFields: [String]
    }

    /// `GET /v1/events/{event}`: a Server-Sent Events stream of one event type.
    public struct EventStream: Sendable, Equatable {
        /// The event message.
        public let event: String
        /// The message that registers for it (`want_*`), which the gateway sends itself, or
        /// (when `enableField` is nil) the call whose side effect the events are.
        public let registration: String
        /// The registration's enable field (`enable_disable`, `enable`), set by the gateway;
        /// nil for a passive stream, where the gateway registers nothing.
        public let enableField: String?
        /// Registration fields a subscriber passes as query parameters.
        public let registrationParameters: [String]
        /// Registration fields that cannot be query parameters (structures, arrays): they take
        /// their default.
        public let unsupportedRegistrationFields: [String]
        /// Top-level event fields a subscriber may filter on for equality (`?sw_if_index=1`);
        /// names that are also registration parameters are registration parameters.
        public let filterFields: [String]
    }

    /// Request/reply calls.
    public let calls: [Call]
    /// Dumps and get/stream calls.
    public let dumps: [Dump]
    /// Event streams.
    public let events: [EventStream]

    /// Fields of every top-level message that never appear in its JSON.
    public static let headerFields: Set<String> = ["_vl_msg_id", "client_index", "context"]

    /// memclnt's transport and session messages: the gateway owns the connection, so these are
    /// not offered over HTTP. `control_ping`, `show_version`, `get_first_msg_id`, `api_versions`
    /// and `get_api_json` are harmless queries and are offered.
    public static let transportMessages: Set<String> = [
        "sockclnt_create", "sockclnt_delete", "memclnt_create", "memclnt_create_v2", "memclnt_delete",
        "memclnt_keepalive", "memclnt_rx_thread_suspend", "memclnt_read_timeout", "rx_thread_exit",
        "trace_plugin_msg_ids", "rpc_call", "sock_init_shm",
    ]

    /// Whether a request may also be sent as `GET` with query parameters: names starting with
    /// `show_` or `get_`, or containing `_get`.
    public static func isReadOnly(_ name: String) -> Bool {
        name.hasPrefix("show_") || name.hasPrefix("get_") || name.contains("_get")
    }

    /// Whether a message is offered over HTTP at all (not a transport message, not `want_*`).
    public static func isOffered(_ name: String) -> Bool {
        !transportMessages.contains(name) && !name.hasPrefix("want_") && !name.hasPrefix("memclnt_")
    }

    /// Whether `message` is a call whose service declares events it cannot manage as a
    /// subscription: it has no enable field, so VPP sends the events as a side effect of a
    /// configuration or an action — `dhcp_client_config` (`dhcp_compl_event`),
    /// `nat44_ei_ha_resync`, `want_ping_finished_events` (which starts a ping; notes §1.8).
    /// The gateway offers these as ordinary request/reply calls.
    public static func isCallWithEvents(_ message: MessageDef, in schema: Schema) -> Bool {
        guard schema.service(for: message.name)?.pattern == .events,
              !transportMessages.contains(message.name) else { return false }
        return message.enableField == nil
    }

    /// The role of every message, decided the same way on every load.
    ///
    /// A message that answers some service (its reply, details or events) is an answer even when
    /// it also looks like a request: VPP has `qos_mark_details` (details of `qos_mark_dump`) *and*
    /// `qos_mark_details_reply`, which makes vppapigen's implicit `X` → `X_reply` service match it
    /// too; `snort_instance_v2_details` likewise. `MessageDef.kind` for those two depends on
    /// dictionary order, so the surface does not use it.
    public let kinds: [String: MessageKind]

    /// Builds the surface of `schema`. `serves(name, isRead)` says whether the gateway's
    /// message policy lets a message through (`isRead`: dumps, get/stream calls, events and
    /// read-only requests); operations it refuses are left out, so generated clients get
    /// no method that can only answer 403.
    public init(schema: Schema, serves: (_ name: String, _ isRead: Bool) -> Bool = { _, _ in true }) {
        let types = TypeClassifier(schema: schema)
        var kinds: [String: MessageKind] = [:]
        for request in schema.services.keys.sorted() {
            guard let s = schema.services[request] else { continue }
            if let r = s.reply, kinds[r] == nil { kinds[r] = s.pattern == .dump ? .details : .reply }
            if let d = s.streamMessage { kinds[d] = .details }
            for e in s.events where kinds[e] == nil { kinds[e] = .event }
        }
        for request in schema.services.keys.sorted() where kinds[request] == nil {
            guard let s = schema.services[request] else { continue }
            switch s.pattern {
            case .requestReply, .noReply: kinds[request] = .request
            case .dump: kinds[request] = .dump
            case .getStream: kinds[request] = .getStream
            case .events: kinds[request] = .eventRegistration
            }
        }
        for (name, m) in schema.messages where kinds[name] == nil { kinds[name] = m.kind }
        self.kinds = kinds
        var calls: [Call] = []
        var dumps: [Dump] = []
        for name in schema.messageNames {
            guard let m = schema.messages[name], let service = schema.service(for: name) else { continue }
            if Self.isCallWithEvents(m, in: schema), let reply = service.reply, schema.messages[reply] != nil {
                if serves(name, false) { calls.append(Call(name: name, reply: reply, readOnly: false, queryFields: [])) }
                continue
            }
            guard Self.isOffered(name) else { continue }
            let isRead = service.pattern == .dump || service.pattern == .getStream || Self.isReadOnly(name)
            guard serves(name, isRead) else { continue }
            switch service.pattern {
            case .requestReply:
                guard kinds[name] == .request, let reply = service.reply, schema.messages[reply] != nil else { continue }
                let readOnly = Self.isReadOnly(name)
                let query = readOnly ? Self.inputFields(m, cursor: nil).filter { types.isQueryField($0) }.map(\.name) : []
                calls.append(Call(name: name, reply: reply, readOnly: readOnly, queryFields: query))
            case .dump, .getStream:
                guard kinds[name] == .dump || kinds[name] == .getStream,
                      let details = service.detailsMessage, schema.messages[details] != nil else { continue }
                let isGet = service.pattern == .getStream
                let cursor = isGet ? m.fields.first { $0.name == "cursor" }?.name : nil
                let query = Self.inputFields(m, cursor: cursor).filter { types.isQueryField($0) }.map(\.name)
                dumps.append(Dump(name: name, details: details, isGetStream: isGet, cursorField: cursor,
                                  queryFields: query))
            case .events, .noReply:
                continue
            }
        }
        var events: [EventStream] = []
        for name in schema.messageNames {
            // A registration with an enable field is the gateway's to send; events that a call
            // enables as a side effect (dhcp_compl_event ← dhcp_client_config,
            // ping_finished_event ← want_ping_finished_events) are streamed passively: that
            // call's configuration is its caller's, so the stream takes no registration
            // parameters.
            guard let m = schema.messages[name], kinds[name] == .event, serves(name, true),
                  let want = schema.registration(for: name), let w = schema.messages[want] else { continue }
            let enable = w.enableField?.name
            var params: [String] = []
            var unsupported: [String] = []
            for f in w.fields where enable != nil && !Self.headerFields.contains(f.name) && f.name != enable && f.name != "pid" {
                if types.isQueryField(f) { params.append(f.name) } else { unsupported.append(f.name) }
            }
            let filters = m.fields.filter { f in
                !Self.headerFields.contains(f.name) && f.name != "pid" && !params.contains(f.name)
                    && types.isQueryField(f) && !types.isFlagSet(f.type)
            }.map(\.name)
            events.append(EventStream(event: name, registration: want, enableField: enable,
                                      registrationParameters: params, unsupportedRegistrationFields: unsupported,
                                      filterFields: filters))
        }
        self.calls = calls
        self.dumps = dumps
        self.events = events
    }

    /// The fields a client supplies for a request: all but the header fields and the cursor.
    static func inputFields(_ m: MessageDef, cursor: String?) -> [Field] {
        m.fields.filter { !headerFields.contains($0.name) && $0.name != cursor }
    }

    /// The call for `name`, if it is one.
    public func call(_ name: String) -> Call? { calls.first { $0.name == name } }

    /// The dump for `name`, if it is one.
    public func dump(_ name: String) -> Dump? { dumps.first { $0.name == name } }

    /// The event stream of `event`, if there is one.
    public func eventStream(_ event: String) -> EventStream? { events.first { $0.event == event } }
}
