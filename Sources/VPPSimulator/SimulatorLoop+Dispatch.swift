import VPPCodec
import VPPSchema

/// What the loop does with a message id (VPP: `am->msg_data[id].handler`).
enum Handler {
    case sockclntCreate, sockclntDelete, controlPing, getAPIJSON, getFirstMsgID, apiVersions, keepalive
    case showVersion, showVPESystemTime, showThreads, cliInband, f64Endian, f64Increment
    case createLoopback, createLoopbackInstance, deleteLoopback, interfaceDump, setFlags
    case addDelAddress, tagAddDel, txPlacementGet, ipAddressDump, ping
    /// A want_* message, kept by its `RegistrationRule` (pub/sub with VPP's -31 rules for most).
    case subscribe(reply: String?, enableField: String, rule: RegistrationRule)
    /// A call whose service declares events but that has no enable field (dhcp_client_config,
    /// want_ping_finished_events): VPP sends the events to the caller as a side effect.
    case triggerEvents(reply: String?)
    /// A request the simulator has no behaviour for: answered per `UnimplementedRequestPolicy`.
    case unimplemented(reply: String?)
    /// A dump the simulator has no data for: zero details.
    case emptyDump
    /// A request whose service has no reply.
    case ignore
}

/// One received request, with its header fields decoded.
struct Request {
    let name: String
    let view: RequestView
    /// `client_index` as sent (host order of the big-endian field); 0 if the message has none.
    let clientIndex: UInt32
    /// `context`, echoed in replies.
    let context: UInt32
    /// The connection it arrived on (only `sockclnt_create` answers there).
    let connection: Connection
}

/// Pre-built replies for the hot path (patched with context and pid).
struct ReplyTemplates {
    var controlPing: [UInt8]?
    var controlPingPID: UInt32 = 0
    var showVersion: [UInt8]?
    var apiJSON: [UInt8]?
    var sockclntCreate: [UInt8]?
}

extension SimulatorLoop {
    static let builtinHandlers: [String: Handler] = [
        "sockclnt_create": .sockclntCreate, "sockclnt_delete": .sockclntDelete, "control_ping": .controlPing,
        "get_api_json": .getAPIJSON, "get_first_msg_id": .getFirstMsgID, "api_versions": .apiVersions,
        "memclnt_keepalive": .keepalive, "show_version": .showVersion, "show_vpe_system_time": .showVPESystemTime,
        "show_threads": .showThreads, "cli_inband": .cliInband, "get_f64_endian_value": .f64Endian,
        "get_f64_increment_by_one": .f64Increment, "create_loopback": .createLoopback,
        "create_loopback_instance": .createLoopbackInstance, "delete_loopback": .deleteLoopback,
        "sw_interface_dump": .interfaceDump, "sw_interface_set_flags": .setFlags,
        "sw_interface_add_del_address": .addDelAddress, "sw_interface_tag_add_del": .tagAddDel,
        "sw_interface_tx_placement_get": .txPlacementGet, "ip_address_dump": .ipAddressDump,
        "want_ping_finished_events": .ping,
    ]

    /// Handlers for the current id table: built-in behaviour where the simulator has it, the
    /// generic answers otherwise; replies, details and events have no handler (VPP has none:
    /// a client sending one gets "no handler for msg id").
    func rebuildHandlers() {
        handlers = table.names.map { name -> Handler? in
            guard let name, let m = api.schema.messages[name] else { return nil }
            if let h = Self.builtinHandlers[name] { return h }
            let service = api.schema.service(for: name)
            if name.hasPrefix("want_"), let field = m.enableField {
                return .subscribe(reply: service?.reply, enableField: field.name, rule: RegistrationRule(want: name))
            }
            if service?.pattern == .events {
                return .triggerEvents(reply: service?.reply)
            }
            switch m.kind {
            case .request, .getStream, .eventRegistration:
                if service?.pattern == .noReply { return .ignore }
                return .unimplemented(reply: service?.reply ?? (api.schema.messages[name + "_reply"] != nil ? name + "_reply" : nil))
            case .dump: return .emptyDump
            case .reply, .details, .event: return nil
            }
        }
        receivedByID = [Int](repeating: 0, count: table.count)
    }

    /// Validates and dispatches one received message (vl_msg_api_handler_with_vm_node /
    /// msg_handler_internal, api_shared.c:470-580). Nothing here may trap on bad input.
    func process(_ bytes: [UInt8], from c: Connection) {
        guard bytes.count >= 2 else {
            logger.warning("message shorter than a message id; dropped", metadata: ["bytes": "\(bytes.count)"])
            return
        }
        let id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        guard Int(id) < handlers.count, let handler = handlers[Int(id)], let name = table.name(of: id),
              let layout = api.layouts[name]
        else {
            logger.warning("no handler for msg id \(id)")
            shared.addCounts(["<unknown>": 1])
            return
        }
        receivedByID[Int(id)] += 1
        // VPP: "Truncated message … message dropped" when calc_size > received length.
        if layout.isSimple {
            let required = bytes.withUnsafeBytes { layout.requiredSize($0) }
            guard let required, required <= bytes.count else {
                logger.warning("Truncated message '\(name)' (id \(id)) received, calculated size \(required.map(String.init) ?? ">\(bytes.count)") is bigger than actual size \(bytes.count), message dropped.")
                return
            }
        } else {
            do throws(CodecError) {
                _ = try api.codec.decode(bytes, as: name)
            } catch {
                logger.warning("Malformed message '\(name)' (id \(id)) dropped: \(error)")
                return
            }
        }
        let view = RequestView(bytes: bytes, layout: layout)
        let request = Request(name: name, view: view, clientIndex: view.u32("client_index"),
                              context: view.u32("context"), connection: c)
        handle(handler, request)
    }

    private func handle(_ handler: Handler, _ r: Request) {
        switch handler {
        case .sockclntCreate: sockclntCreate(r)
        case .sockclntDelete: sockclntDelete(r)
        case .controlPing: controlPing(r)
        case .getAPIJSON: getAPIJSON(r)
        case .getFirstMsgID: getFirstMsgID(r)
        case .apiVersions: apiVersions(r)
        case .keepalive:
            // VPP's handler puts the reply on its own shared-memory input queue, never on
            // the client's socket (memory_api.c:448-462): a socket client gets nothing.
            break
        case .showVersion: showVersion(r)
        case .showVPESystemTime: showVPESystemTime(r)
        case .showThreads: showThreads(r)
        case .cliInband: cliInband(r)
        case .f64Endian, .f64Increment: f64Probe(r, increment: { if case .f64Increment = handler { true } else { false } }())
        case .createLoopback, .createLoopbackInstance: createLoopback(r, withInstance: { if case .createLoopbackInstance = handler { true } else { false } }())
        case .deleteLoopback: replyRetval(r, "delete_loopback_reply", interfaces.deleteLoopback(r.view.u32("sw_if_index")))
        case .interfaceDump: interfaceDump(r)
        case .setFlags: setFlags(r)
        case .addDelAddress: addDelAddress(r)
        case .tagAddDel: tagAddDel(r)
        case .txPlacementGet: txPlacementGet(r)
        case .ipAddressDump: ipAddressDump(r)
        case .subscribe(let reply, let field, let rule): subscribe(r, reply: reply, enableField: field, rule: rule)
        case .triggerEvents(let reply): triggerEvents(r, reply: reply)
        case .ping: startPing(r)
        case .unimplemented(let reply):
            guard case .reply(let retval) = config.unimplemented, let reply else { return }
            logger.debug("no simulated behaviour for \(r.name); replying retval \(retval)")
            replyRetval(r, reply, retval)
        case .emptyDump, .ignore:
            return
        }
    }

    // MARK: building and sending

    /// A zeroed message named `name` with its id, or nil when the schema lacks it.
    func builder(_ name: String, reserve: Int = 0) -> MessageBuilder? {
        guard let id = table.ids[name], let layout = api.layouts[name] else {
            logger.error("cannot build \(name): not in the simulator's message table")
            return nil
        }
        return MessageBuilder(layout, id: id, reserve: reserve)
    }

    /// Sends a reply to the client the request's `client_index` names; none if it names no
    /// client (REPLY_MACRO, api_helper_macros.h:25-45).
    func reply(_ r: Request, _ b: MessageBuilder) {
        guard let target = client(r.clientIndex) else {
            logger.debug("no client for client_index \(r.clientIndex); \(r.name) gets no reply")
            return
        }
        send(b.bytes, to: target, request: r.name, message: b.layout.name)
    }

    /// A reply with only `context` and `retval` (REPLY_MACRO).
    func replyRetval(_ r: Request, _ name: String, _ retval: Int32) {
        guard var b = builder(name) else { return }
        b.set("context", UInt64(r.context))
        b.set("retval", signed: Int64(retval))
        reply(r, b)
    }

    /// Frames and queues a message, applying the delay/drop faults.
    func send(_ payload: [UInt8], to c: Connection, request: String, message: String) {
        let (drop, delay) = shared.faults.decision(request: request, message: message)
        if drop { return }
        if let delay {
            let ns = UInt64(max(0, delay.components.seconds)) * 1_000_000_000 + UInt64(max(0, delay.components.attoseconds / 1_000_000_000))
            c.enqueue(Wire.frame(payload, junk: junk.next()), due: now + ns, now: now)
        } else if c.canAppendDirectly {
            payload.withUnsafeBytes { c.appendFrame(payload: $0, junk: junk.next()) }
        } else {
            c.enqueue(Wire.frame(payload, junk: junk.next()), due: nil, now: now)
        }
    }
}
