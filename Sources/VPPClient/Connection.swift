import Logging
import Synchronization
import VPPCodec
import VPPJSON
import VPPSchema

/// One socket session with VPP: transport, pending calls, the published `VPPSession`,
/// liveness and timeout sweeping. Created by `Connection.open` (the handshake) and never
/// reused after it closes; `VPPClient` makes a new one for every reconnect.
final class Connection: Sendable, TransportDelegate {
    let transport: Transport
    let pending = PendingCalls()
    let configuration: VPPClientConfiguration
    let logger: Logger
    private let hub: EventHub
    private let published = AtomicLazyReference<VPPSession>()
    private let contextCounter = Atomic<UInt32>(0)
    /// Our client index once `sockclnt_create` succeeded (0 before; VPP's socket handles
    /// always have bit 31 set), so even a failed handshake can say `sockclnt_delete`.
    private let registeredIndex = Atomic<UInt32>(0)
    private let liveness = Mutex<OutstandingPing?>(nil)
    private let closed = Mutex<ClosedState>(ClosedState())
    private let maintenance = Mutex<Task<Void, Never>?>(nil)
    private let onClose: @Sendable (Connection, DisconnectReason) -> Void

    private struct ClosedState {
        var reason: DisconnectReason?
        var waiters: [UnsafeContinuation<DisconnectReason, Never>] = []
    }

    private init(fd: Int32, configuration: VPPClientConfiguration, logger: Logger, hub: EventHub,
                 onClose: @escaping @Sendable (Connection, DisconnectReason) -> Void) {
        self.configuration = configuration
        self.logger = logger
        self.hub = hub
        self.onClose = onClose
        self.transport = Transport(fd: fd, maxMessageSize: configuration.maxMessageSize,
                                   maxOutput: configuration.maxOutputBuffer)
    }

    /// The session, once the handshake has finished.
    var session: VPPSession? { published.load() }

    /// A fresh `context`. VPP echoes it and never checks it (notes §1.4); 0 is skipped so a
    /// zero context always means "not ours".
    @inline(__always)
    func nextContext() -> UInt32 {
        while true {
            let c = contextCounter.wrappingAdd(1, ordering: .relaxed).newValue
            if c != 0 { return c }
        }
    }

    // MARK: - Opening

    /// Connects and performs the handshake: `sockclnt_create`, `get_api_json` (when VPP
    /// offers it and the configuration asks for it), schema and id table, and a first
    /// `control_ping` for `vpe_pid`. The whole attempt is bounded by `handshakeTimeout`.
    static func open(configuration: VPPClientConfiguration, logger: Logger, hub: EventHub,
                     store: SchemaStore,
                     onClose: @escaping @Sendable (Connection, DisconnectReason) -> Void) async throws(VPPError) -> Connection {
        let deadline = ContinuousClock.now + configuration.handshakeTimeout
        func remaining() throws(VPPError) -> Duration {
            let r = deadline - ContinuousClock.now
            if r <= .zero { throw .connectFailed("handshake did not finish within \(configuration.handshakeTimeout)") }
            return r
        }
        var fd: Int32 = -1
        while fd < 0 {
            switch POSIX.connectUnix(path: configuration.socketPath) {
            case .connected(let f): fd = f
            case .failed(let why): throw .connectFailed(why)
            case .busy:
                _ = try remaining()
                if Task.isCancelled { throw .cancelled }
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        let conn = Connection(fd: fd, configuration: configuration, logger: logger, hub: hub, onClose: onClose)
        conn.transport.start(delegate: conn)
        conn.startMaintenance()
        do throws(VPPError) {
            let session = try await conn.handshake(store: store, remaining: remaining)
            _ = conn.published.storeIfNil(session)
            return conn
        } catch {
            var why = error.description
            if case .connectFailed(let s) = error { why = s }
            conn.transport.expectClose(.connectFailed(why))
            await conn.closeGracefully(timeout: min(configuration.shutdownTimeout, .seconds(1)))
            throw .connectFailed(why)
        }
    }

    private func handshake(store: SchemaStore, remaining: () throws(VPPError) -> Duration) async throws(VPPError) -> VPPSession {
        // 1. sockclnt_create with the fixed id 15 (notes §1.3).
        var ctx = nextContext()
        let createBytes = Handshake.sockclntCreate(context: ctx, name: configuration.clientName)
        let createRaw = try await roundTrip(ctx, name: "sockclnt_create", timeout: try remaining()) {
            FrameHeader.appendFramed(createBytes, to: &$0)
        }.get()
        guard createRaw.messageID == Memclnt.sockclntCreateReply, let created = Handshake.parseCreateReply(createRaw.bytes) else {
            throw .connectFailed("malformed sockclnt_create_reply (\(createRaw.bytes.count) bytes)")
        }
        let clientIndex = created.index
        registeredIndex.store(clientIndex, ordering: .relaxed)
        // VPP always answers 0 today (socket_api.c:513); anything negative is a refusal.
        guard created.response >= 0 else {
            throw .connectFailed("sockclnt_create refused with response \(created.response)")
        }
        logger.debug("sockclnt_create answered", metadata: [
            "index": "\(String(clientIndex, radix: 16))", "messages": "\(created.entries.count)"])

        // 2. get_api_json (VPP ≥ 24.06) when VPP's table lists it.
        var liveJSON: [UInt8]?
        if configuration.fetchLiveSchema,
           let entry = created.entries.first(where: { MessageTable.split($0.nameCRC).name == "get_api_json" }) {
            ctx = nextContext()
            let request = Handshake.headerOnly(id: entry.id, clientIndex: clientIndex, context: ctx)
            let raw = try await roundTrip(ctx, name: "get_api_json", timeout: try remaining()) {
                FrameHeader.appendFramed(request, to: &$0)
            }.get()
            if let (retval, json) = Handshake.parseAPIJSONReply(raw.bytes), retval == 0 {
                liveJSON = Array(json)
            } else {
                logger.warning("get_api_json failed; using local API definitions only")
            }
        }

        // 3. Schema, codec, id table.
        let (schema, codec, problems) = store.schema(liveJSON: liveJSON)
        let table = MessageTable(entries: created.entries, schema: schema)
        if !table.availability.mismatched.isEmpty || !table.availability.unknownToSchema.isEmpty {
            logger.notice("schema differs from the connected VPP", metadata: ["availability": "\(table.availability.summary)"])
        }

        // 4. control_ping: proves the client index works and tells VPP's pid.
        ctx = nextContext()
        let ping = Handshake.headerOnly(id: table.controlPingID, clientIndex: clientIndex, context: ctx)
        let pong = try await roundTrip(ctx, name: "control_ping", timeout: try remaining()) {
            FrameHeader.appendFramed(ping, to: &$0)
        }.get()
        guard let pid = Handshake.pingReplyPID(pong.bytes) else {
            throw .connectFailed("malformed control_ping_reply")
        }
        return VPPSession(schema: schema, codec: codec, clientIndex: clientIndex, vpePID: pid, table: table,
                          liveSchemaLoaded: liveJSON != nil, schemaProblems: problems,
                          socketPath: configuration.socketPath)
    }

    // MARK: - Calls

    /// Registers `context`, sends what `build` appends, and waits for the reply (or the
    /// timeout, the connection's end, or cancellation).
    func roundTrip(_ context: UInt32, name: String, timeout: Duration,
                   _ build: (inout [UInt8]) -> Void) async -> Result<VPPRawMessage, VPPError> {
        await withTaskCancellationHandler {
            await withUnsafeContinuation { (c: UnsafeContinuation<Result<VPPRawMessage, VPPError>, Never>) in
                guard pending.insert(context, .call(c), name: name, timeout: timeout) else {
                    c.resume(returning: .failure(.notConnected))
                    return
                }
                if let error = transport.send(build) {
                    pending.fail(context, with: error)
                } else if Task.isCancelled {
                    pending.fail(context, with: .cancelled)
                }
            }
        } onCancel: {
            pending.fail(context, with: .cancelled)
        }
    }

    /// The published session, or `.notConnected` while the handshake runs.
    @inline(__always)
    func requireSession() throws(VPPError) -> VPPSession {
        guard let s = published.load() else { throw .notConnected }
        return s
    }

    /// Resolves `name` for sending: its id and pattern, or why it cannot be sent (also when
    /// its reply or details message is unavailable, since the answer could not be read).
    @inline(__always)
    func sendable(_ name: String, in session: VPPSession) throws(VPPError) -> OutboundInfo {
        guard let info = session.table.outboundInfo(name), session.codec.isKnown(name) else {
            throw .messageUnavailable(name, session.unavailableReason(name))
        }
        if let blocked = info.blockedBy {
            throw .messageUnavailable(name, .answerUnavailable(blocked, session.unavailableReason(blocked)))
        }
        return info
    }

    /// A request/reply call: encode, send, await, decode.
    func call(_ name: String, timeout: Duration,
              encode: (Codec, MessageHeader) throws(CodecError) -> [UInt8]) async throws(VPPError) -> DecodedMessage {
        let (session, context, payload) = try prepareCall(name, encode: encode)
        let raw = try await roundTrip(context, name: name, timeout: timeout) {
            FrameHeader.appendFramed(payload, to: &$0)
        }.get()
        return try session.decode(raw)
    }

    /// A request/reply call whose reply (decoded) or failure is handed to `completion`,
    /// exactly once: on the reader thread for a reply, else on whichever thread saw the
    /// timeout, the connection's end or the send failure. Errors found before sending
    /// (unknown message, invalid request) are thrown instead, so the caller answers them
    /// at once.
    func call(_ name: String, timeout: Duration,
              encode: (Codec, MessageHeader) throws(CodecError) -> [UInt8],
              completion: @escaping @Sendable (Result<DecodedMessage, VPPError>) -> Void) throws(VPPError) {
        let (session, context, payload) = try prepareCall(name, encode: encode)
        let waiter = PendingWaiter.callback { result in
            completion(result.flatMap { raw in Result { () throws(VPPError) in try session.decode(raw) } })
        }
        guard pending.insert(context, waiter, name: name, timeout: timeout) else { throw .notConnected }
        if let error = transport.send({ FrameHeader.appendFramed(payload, to: &$0) }) {
            pending.fail(context, with: error)
        }
    }

    /// Checks that `name` is a request/reply message the connected VPP serves, takes a
    /// context and encodes the request.
    @inline(__always)
    private func prepareCall(_ name: String, encode: (Codec, MessageHeader) throws(CodecError) -> [UInt8])
        throws(VPPError) -> (VPPSession, UInt32, [UInt8]) {
        let session = try requireSession()
        let out = try sendable(name, in: session)
        if let pattern = out.pattern {
            switch pattern {
            case .dump, .getStream:
                throw .wrongPattern(message: name, expected: "\(name) answers with a stream of details: use dump()")
            case .noReply:
                throw .wrongPattern(message: name, expected: "VPP sends no reply to \(name): use sendRaw(_:contextOffset: nil)")
            case .requestReply, .events:
                break
            }
        } else if session.schema.message(name)?.hasContext != true {
            throw .wrongPattern(message: name, expected: "\(name) is not a request (it has no context to match a reply)")
        }
        let context = nextContext()
        do {
            let payload = try encode(session.codec, MessageHeader(messageID: out.id, clientIndex: session.clientIndex, context: context))
            return (session, context, payload)
        } catch {
            throw .invalidRequest(message: name, error)
        }
    }

    // MARK: - Reader thread

    func transportReceived(_ event: FrameEvent) {
        switch event {
        case .message(let p):
            route(p)
        case .oversized(let length, let prefix):
            logger.error("skipping a message larger than maxMessageSize", metadata: [
                "bytes": "\(length)", "limit": "\(configuration.maxMessageSize)"])
            prefix.withUnsafeBytes { p in
                guard p.count >= 2 else { return }
                let table = published.load()?.table ?? MessageTable.bootstrap
                if let info = table.inbound(Handshake.load16(p, 0)), let off = info.contextOffset, p.count >= off + 4 {
                    pending.fail(Handshake.load32(p, off), with: .malformedReply(
                        message: info.name,
                        CodecError(.badLength, path: "", reason: "\(length) bytes exceed maxMessageSize \(configuration.maxMessageSize)")))
                }
            }
        }
    }

    @inline(__always)
    private func route(_ p: UnsafeRawBufferPointer) {
        guard p.count >= 2 else {
            logger.warning("ignoring a message shorter than its id", metadata: ["bytes": "\(p.count)"])
            return
        }
        let id = Handshake.load16(p, 0)
        let session = published.load()
        let table = session?.table ?? MessageTable.bootstrap
        guard let info = table.inbound(id) else {
            logger.debug("ignoring a message with an id VPP's table does not list", metadata: ["id": "\(id)"])
            return
        }
        if let off = info.contextOffset {
            guard p.count >= off + 4 else {
                logger.warning("ignoring a truncated message", metadata: ["message": "\(info.name)", "bytes": "\(p.count)"])
                return
            }
            let context = Handshake.load32(p, off)
            if pending.deliver(context: context, messageID: id, payload: p) == .delivered { return }
            guard hub.hasSubscribers(info.name) else {
                logger.debug("ignoring a reply nobody waits for (timed out or cancelled)", metadata: [
                    "message": "\(info.name)", "context": "\(context)"])
                return
            }
        } else if !hub.hasSubscribers(info.name) {
            return
        }
        guard let session, info.decodable else {
            logger.warning("cannot decode event (schema lacks its CRC)", metadata: ["message": "\(info.name)"])
            return
        }
        do {
            hub.dispatch(info.name, try session.codec.decode(p, as: info.name))
        } catch {
            logger.warning("skipping an undecodable event", metadata: ["message": "\(info.name)", "error": "\(error)"])
        }
    }

    func transportClosed(_ reason: DisconnectReason) {
        pending.closeAll(reason == .shutdown ? .shutdown : .disconnected(reason))
        maintenance.withLock { $0?.cancel(); $0 = nil }
        let waiters = closed.withLock { s -> [UnsafeContinuation<DisconnectReason, Never>] in
            s.reason = reason
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume(returning: reason) }
        onClose(self, reason)
    }

    // MARK: - Closing

    /// Closes the socket; in-flight calls fail at once.
    func close(_ reason: DisconnectReason) {
        transport.close(reason)
    }

    /// Waits until the reader thread has seen the socket close.
    func waitClosed() async -> DisconnectReason {
        await withUnsafeContinuation { c in
            let reason: DisconnectReason? = closed.withLock { s in
                if let r = s.reason { return r }
                s.waiters.append(c)
                return nil
            }
            if let reason { c.resume(returning: reason) }
        }
    }

    /// The reason the connection closed, nil while open.
    var closeReason: DisconnectReason? { closed.withLock { $0.reason } }

    /// Sends `sockclnt_delete` and waits (bounded) for its reply before closing: closing
    /// without it can leave VPP 26.06 spinning on the dead socket (notes §8); VPP answers
    /// `response = 1` and closes its end itself (socket_api.c:533-559).
    func closeGracefully(timeout: Duration) async {
        transport.expectClose(.shutdown)
        let index = registeredIndex.load(ordering: .relaxed)
        if index != 0, !transport.isClosed {
            let ctx = nextContext()
            let bytes = goodbye(clientIndex: index, context: ctx)
            let result = await roundTrip(ctx, name: "sockclnt_delete", timeout: timeout) {
                FrameHeader.appendFramed(bytes, to: &$0)
            }
            switch result {
            case .success(let raw):
                let response = Handshake.deleteResponse(raw.bytes)
                if response != 1 {
                    logger.warning("sockclnt_delete refused", metadata: ["response": "\(response.map { "\($0)" } ?? "?")"])
                }
            case .failure(let error):
                logger.debug("sockclnt_delete not answered", metadata: ["error": "\(error)"])
            }
        }
        transport.close(.shutdown)
        _ = await waitClosed()
    }

    /// Queues `sockclnt_delete` and closes without waiting for the reply (for `deinit`).
    func abandon() {
        transport.expectClose(.shutdown)
        closeSayingGoodbye(.shutdown)
    }

    /// Closes on the client's own initiative (VPP unresponsive, VPP restarted) after
    /// queueing `sockclnt_delete`, so that even this close never leaves VPP reading a dead
    /// socket (notes §8: VPP 26.06 can spin on one, socket_api.c:284-296). The reply is not
    /// awaited: the connection is being given up.
    func closeSayingGoodbye(_ reason: DisconnectReason) {
        // The verdict is final: calls in flight fail with it even when their replies race
        // the close (a VPP that was only slow answers everything queued before our goodbye).
        pending.closeAll(reason == .shutdown ? .shutdown : .disconnected(reason))
        let index = registeredIndex.load(ordering: .relaxed)
        if index != 0, !transport.isClosed {
            let bytes = goodbye(clientIndex: index, context: nextContext())
            _ = transport.send { FrameHeader.appendFramed(bytes, to: &$0) }
        }
        transport.close(reason)
    }

    /// `sockclnt_delete` for this connection's registration, by the id VPP gave it.
    private func goodbye(clientIndex: UInt32, context: UInt32) -> [UInt8] {
        let id = published.load()?.table.id(of: "sockclnt_delete") ?? Memclnt.sockclntDelete
        return Handshake.sockclntDelete(id: id, clientIndex: clientIndex, context: context)
    }

    // MARK: - Maintenance: timeouts and liveness

    private func startMaintenance() {
        let interval = configuration.sweepInterval
        let task = Task { [self] in
            while !Task.isCancelled && closeReason == nil {
                try? await Task.sleep(for: interval)
                tick()
            }
        }
        maintenance.withLock { $0 = task }
    }

    /// One maintenance step: expire calls, then apply the liveness rule (see
    /// `LivenessPolicy`): ping only after `idleBeforePing` of silence; dead only after
    /// `deadAfterSilence` without any byte while that ping is outstanding.
    ///
    /// A ping can be lost without VPP being dead: a CLI command that waits inside VPP's API
    /// process (`cli_inband "ping …"`, src/plugins/ping/ping.c:1286-1316) takes every
    /// pending event of that process and drops the `SOCKET_READ_EVENT`s — each of them one
    /// client message (socket_api.c:358-366, memclnt_api.c:446-463). So when bytes arrived
    /// after the ping was sent and then `idleBeforePing` of silence follows, the ping is
    /// given up and a new one sent; otherwise a quiet gateway would call a live VPP dead.
    func tick() {
        let now = POSIX.now()
        pending.sweep(now: now)
        guard let session = published.load(), !transport.isClosed else { return }
        let last = transport.lastReceive.load(ordering: .relaxed)
        let policy = configuration.liveness
        enum Action { case none, ping(UInt32, replacing: UInt32?), dead(Duration) }
        let action = liveness.withLock { outstanding -> Action in
            let idle = now > last && now - last >= policy.idleBeforePing.nanoseconds
            if outstanding == nil || last > (outstanding?.sentAt ?? 0) {
                guard idle else { return .none }
                let lost = outstanding?.context
                let context = nextContext()
                outstanding = OutstandingPing(context: context, sentAt: now)
                return .ping(context, replacing: lost)
            }
            guard let ping = outstanding else { return .none }
            let silence = now > ping.sentAt ? now - ping.sentAt : 0
            if silence >= policy.deadAfterSilence.nanoseconds {
                return .dead(.nanoseconds(Int64(min(silence, UInt64(Int64.max)))))
            }
            return .none
        }
        switch action {
        case .none: break
        case .dead(let silence):
            logger.error("VPP unresponsive: closing the connection", metadata: ["silence": "\(silence)"])
            closeSayingGoodbye(.unresponsive(silence: silence))
        case .ping(let context, let lost):
            if let lost {
                logger.notice("VPP answered other messages but not a liveness ping: sending another", metadata: ["context": "\(lost)"])
                _ = pending.remove(lost)
            }
            sendPing(session, context: context)
        }
    }

    /// Silence since an unanswered liveness ping was sent (nil when none is outstanding or
    /// bytes arrived after it).
    var unresponsiveFor: Duration? {
        guard let ping = liveness.withLock({ $0 }) else { return nil }
        let last = transport.lastReceive.load(ordering: .relaxed)
        let now = POSIX.now()
        guard last <= ping.sentAt, now > ping.sentAt else { return nil }
        return .nanoseconds(Int64(min(now - ping.sentAt, UInt64(Int64.max))))
    }

    private func sendPing(_ session: VPPSession, context ctx: UInt32) {
        let bytes = Handshake.headerOnly(id: session.table.controlPingID, clientIndex: session.clientIndex, context: ctx)
        let expected = session.vpePID
        let callback: @Sendable (Result<VPPRawMessage, VPPError>) -> Void = { [self] result in
            liveness.withLock { if $0?.context == ctx { $0 = nil } }
            guard case .success(let raw) = result, let pid = Handshake.pingReplyPID(raw.bytes) else { return }
            if pid != expected {
                logger.warning("VPP restarted (vpe_pid changed): reconnecting", metadata: ["old": "\(expected)", "new": "\(pid)"])
                closeSayingGoodbye(.vppRestarted(oldPID: expected, newPID: pid))
            }
        }
        // No deadline of its own: the liveness rule decides when silence means death.
        guard pending.insert(ctx, .callback(callback), name: "control_ping", timeout: .seconds(86_400 * 365)) else { return }
        if let error = transport.send({ FrameHeader.appendFramed(bytes, to: &$0) }) {
            pending.fail(ctx, with: error)
        }
    }
}

/// The liveness ping waiting for its reply.
struct OutstandingPing: Sendable {
    let context: UInt32
    /// `POSIX.now()` when it was sent.
    let sentAt: UInt64
}
