import Logging
import Synchronization
import VPPCodec
import VPPJSON
import VPPSchema

/// The client's connection state, as seen by `stateChanges()` observers.
public enum VPPConnectionState: Sendable {
    /// Neither `start()` nor `connect()` has been called yet.
    case idle
    /// Connection attempt number `attempt` (1-based) is under way.
    case connecting(attempt: Int)
    /// Connected; the session tells VPP's pid, our client index, the message count and the
    /// schema availability. Upper layers re-send `want_*` registrations here: VPP forgets
    /// them when it restarts.
    case connected(VPPSession)
    /// Not connected, and why. Calls fail fast with `VPPError.notConnected` meanwhile.
    case disconnected(DisconnectReason)

    /// True for `.connected`.
    public var isConnected: Bool {
        if case .connected = self { return true }
        return false
    }
}

extension VPPClient {
    /// The id of a memclnt message (1–28, the same in every VPP); nil for any other message,
    /// whose id each VPP assigns when it starts (notes §1.4).
    public static func fixedMessageID(of name: String) -> UInt16? { Memclnt.fixedIDs[name] }
}

extension VPPConnectionState: CustomStringConvertible {
    /// A phrase for logs and readiness answers ("connecting, attempt 3", "disconnected: …").
    public var description: String {
        switch self {
        case .idle: "not started"
        case .connecting(let attempt): "connecting, attempt \(attempt)"
        case .connected(let session): "connected to VPP pid \(session.vpePID)"
        case .disconnected(let reason): "disconnected: \(reason)"
        }
    }
}

/// A client of VPP's binary API over its Unix socket, shared by any number of concurrent
/// callers.
///
/// One socket carries every call, multiplexed by `context`; a dedicated reader thread
/// matches replies to callers and resumes them directly, and callers' writes are coalesced
/// (see `Transport`). Calls have timeouts (VPP never answers an unknown id or a bad client
/// index), dumps and get/stream calls stream their details with bounded buffering, events
/// fan out to subscribers by name, and with `start()` the client reconnects with capped
/// exponential backoff whenever the socket closes or VPP restarts, rebuilding the id table
/// and schema each time. The design goal is that an HTTP front end can put tens of
/// thousands of requests per second through one client.
///
/// ```swift
/// let client = VPPClient(configuration: VPPClientConfiguration(apiDirectories: ["/usr/share/vpp/api"]))
/// await client.start()
/// let version = try await client.call("show_version")
/// for try await iface in client.dump("sw_interface_dump") { print(iface.jsonText) }
/// await client.shutdown()
/// ```
public final class VPPClient: Sendable {
    /// The configuration the client was made with.
    public let configuration: VPPClientConfiguration
    let logger: Logger
    let hub = EventHub()
    private let store: SchemaStore
    private let state = Mutex(State())

    private struct State {
        var connection: Connection?
        var current: VPPConnectionState = .idle
        var observers: [Int: AsyncStream<VPPConnectionState>.Continuation] = [:]
        var nextObserver = 0
        var started = false
        var runTask: Task<Void, Never>?
        var isShutdown = false
    }

    /// A client; nothing happens until `start()` or `connect()`.
    public init(configuration: VPPClientConfiguration = VPPClientConfiguration(),
                logger: Logger = Logger(label: "vpp.client")) {
        self.configuration = configuration
        self.logger = logger
        self.store = SchemaStore(configuration: configuration, logger: logger)
    }

    deinit {
        // Safety net for a client dropped without shutdown() (only possible without start(),
        // whose background task keeps the client alive): still say sockclnt_delete, without
        // waiting, rather than leave VPP with a dead socket (notes §8).
        if let connection = state.withLock({ $0.isShutdown ? nil : $0.connection }) {
            connection.abandon()
        }
    }

    // MARK: - Lifecycle

    /// Connects, and keeps reconnecting in the background whenever the connection ends
    /// (capped exponential backoff with jitter, `configuration.reconnect`). Returns once
    /// the first attempt has finished, connected or not; check `session` or observe
    /// `stateChanges()`. Calling it again does nothing.
    public func start() async {
        let proceed = state.withLock { s -> Bool in
            if s.started || s.isShutdown { return false }
            s.started = true
            return true
        }
        guard proceed else { return }
        let first = try? await attempt(number: 1)
        let task = Task { [self] in await runLoop(initial: first) }
        let cancelNow = state.withLock { s -> Bool in
            s.runTask = task
            return s.isShutdown
        }
        if cancelNow { task.cancel() }
    }

    /// One connection attempt, without background reconnects (for tools such as the CLI).
    /// Returns at once when already connected.
    public func connect() async throws(VPPError) {
        let (shut, connected) = state.withLock { ($0.isShutdown, $0.connection != nil) }
        if shut { throw .shutdown }
        if connected { return }
        _ = try await attempt(number: 1)
    }

    /// Sends `sockclnt_delete`, closes the socket, stops reconnecting, fails calls in
    /// flight with `VPPError.shutdown`, and ends every event subscription and state
    /// stream. Closing without `sockclnt_delete` can leave VPP 26.06 spinning at 100 % CPU
    /// (notes §8), so always call this before exiting.
    public func shutdown() async {
        let (task, connection, already) = state.withLock { s -> (Task<Void, Never>?, Connection?, Bool) in
            if s.isShutdown { return (nil, nil, true) }
            s.isShutdown = true
            return (s.runTask, s.connection, false)
        }
        if already { return }
        task?.cancel()
        if let connection { await connection.closeGracefully(timeout: configuration.shutdownTimeout) }
        await task?.value
        let observers = state.withLock { s -> [AsyncStream<VPPConnectionState>.Continuation] in
            s.connection = nil
            s.current = .disconnected(.shutdown)
            defer { s.observers = [:] }
            return Array(s.observers.values)
        }
        for o in observers {
            o.yield(.disconnected(.shutdown))
            o.finish()
        }
        hub.finishAll()
        logger.info("VPP client shut down")
    }

    private func runLoop(initial: Connection?) async {
        var connection = initial
        var failures = initial == nil ? 1 : 0
        while true {
            if let c = connection {
                _ = await c.waitClosed()
                connection = nil
                failures = 0
            }
            if Task.isCancelled || isShutdown { return }
            let delay = configuration.reconnect.delay(attempt: failures)
            do {
                try await Task.sleep(for: delay)
            } catch {
                return
            }
            if isShutdown { return }
            do {
                connection = try await attempt(number: failures + 1)
            } catch {
                failures += 1
            }
        }
    }

    private var isShutdown: Bool { state.withLock { $0.isShutdown } }

    /// One attempt: open, handshake, install.
    private func attempt(number: Int) async throws(VPPError) -> Connection {
        setState(.connecting(attempt: number))
        let connection: Connection
        do {
            connection = try await Connection.open(
                configuration: configuration, logger: logger, hub: hub, store: store,
                onClose: { [weak self] c, reason in self?.connectionClosed(c, reason) })
        } catch {
            // A warning at attempts 1, 2, 4, 8, …: an operator with a wrong socket path or a
            // stopped VPP sees why at the default level, without a line every few seconds.
            let level: Logger.Level = number & (number - 1) == 0 ? .warning : .debug
            logger.log(level: level, "cannot connect to VPP; retrying with backoff", metadata: [
                "socket": "\(configuration.socketPath)", "attempt": "\(number)", "error": "\(error)"])
            if !isShutdown { setState(.disconnected(.connectFailed(error.description))) }
            throw error
        }
        guard let session = connection.session else { throw .notConnected }
        let installed = state.withLock { s -> Bool in
            if s.isShutdown || connection.closeReason != nil || s.connection != nil { return false }
            s.connection = connection
            s.current = .connected(session)
            for o in s.observers.values { o.yield(.connected(session)) }
            return true
        }
        guard installed else {
            await connection.closeGracefully(timeout: configuration.shutdownTimeout)
            // Another attempt (start() racing connect()) may have won: use its connection.
            if let existing = state.withLock({ $0.isShutdown ? nil : $0.connection }) { return existing }
            throw isShutdown ? .shutdown : .notConnected
        }
        logger.info("connected to VPP", metadata: [
            "socket": "\(configuration.socketPath)", "vpe_pid": "\(session.vpePID)",
            "client_index": "0x\(String(session.clientIndex, radix: 16))",
            "messages": "\(session.messageCount)", "schema": "\(session.availability.summary)"])
        return connection
    }

    private func connectionClosed(_ connection: Connection, _ reason: DisconnectReason) {
        let current = state.withLock { s -> Bool in
            guard s.connection === connection else { return false }
            s.connection = nil
            s.current = .disconnected(reason)
            for o in s.observers.values { o.yield(.disconnected(reason)) }
            return true
        }
        if current && reason != .shutdown {
            logger.warning("disconnected from VPP", metadata: ["reason": "\(reason)"])
        }
    }

    private func setState(_ new: VPPConnectionState) {
        state.withLock { s in
            s.current = new
            for o in s.observers.values { o.yield(new) }
        }
    }

    // MARK: - State

    /// The current session (schema, codec, id table, availability, client index, vpe_pid),
    /// nil while not connected.
    public var session: VPPSession? { state.withLock { $0.connection?.session } }

    /// The current connection state.
    public var connectionState: VPPConnectionState { state.withLock { $0.current } }

    /// A stream of connection-state changes, starting with the current state. Any number
    /// of observers may listen; each keeps the newest 64 changes if it falls behind. Ends
    /// at `shutdown()`.
    public func stateChanges() -> AsyncStream<VPPConnectionState> {
        AsyncStream(bufferingPolicy: .bufferingNewest(64)) { continuation in
            let id = state.withLock { s -> Int? in
                continuation.yield(s.current)
                if s.isShutdown {
                    continuation.finish()
                    return nil
                }
                s.nextObserver += 1
                s.observers[s.nextObserver] = continuation
                return s.nextObserver
            }
            if let id {
                continuation.onTermination = { [weak self] _ in
                    _ = self?.state.withLock { $0.observers.removeValue(forKey: id) }
                }
            }
        }
    }

    /// Calls waiting for VPP right now (for metrics).
    public var inFlightCount: Int { state.withLock { $0.connection }?.pending.count ?? 0 }

    /// How long VPP has sent nothing at all since a liveness ping went out unanswered; nil
    /// while it answers. A hung VPP shows here long before the liveness rule gives up on
    /// the connection (`LivenessPolicy.deadAfterSilence`), so readiness can tell at once.
    public var unresponsiveFor: Duration? { state.withLock { $0.connection }?.unresponsiveFor }

    func requireConnection() throws(VPPError) -> Connection {
        let (connection, shut) = state.withLock { ($0.connection, $0.isShutdown) }
        if let connection { return connection }
        throw shut ? .shutdown : .notConnected
    }

    // MARK: - Calls

    /// Sends a request and returns its reply, decoded.
    ///
    /// `fields` is the request in canonical JSON (missing fields take their `.api.json`
    /// default, else zero; header fields are filled in). A reply with a non-zero `retval`
    /// is returned, not thrown — the caller decides (see `checkedCall` / `checked()`).
    /// Fails fast with `.notConnected` while disconnected, `.messageUnavailable` when the
    /// connected VPP lacks the message or has it with another CRC, `.timeout` after
    /// `timeout` (default `configuration.callTimeout`), and `.disconnected` at once if the
    /// connection drops meanwhile.
    public func call(_ name: String, _ fields: JSONValue = .object(JSONObject()),
                     timeout: Duration? = nil) async throws(VPPError) -> DecodedMessage {
        let connection = try requireConnection()
        return try await connection.call(name, timeout: timeout ?? configuration.callTimeout) {
            (codec: Codec, header: MessageHeader) throws(CodecError) -> [UInt8] in
            try codec.encode(fields, as: name, header: header)
        }
    }

    /// `call` with the request given as JSON text (an HTTP body as received; parsed and
    /// encoded in one step).
    public func call(_ name: String, json: some Collection<UInt8> & Sendable,
                     timeout: Duration? = nil) async throws(VPPError) -> DecodedMessage {
        let connection = try requireConnection()
        return try await connection.call(name, timeout: timeout ?? configuration.callTimeout) {
            (codec: Codec, header: MessageHeader) throws(CodecError) -> [UInt8] in
            try codec.encode(json: json, as: name, header: header)
        }
    }

    /// `call(_:json:timeout:)` without a task: `completion` receives the reply or the
    /// failure exactly once, on the client's reader thread for a reply (else wherever the
    /// timeout or disconnection was seen). It must not block: it runs before the next
    /// message from VPP is read. Failures found before sending (not connected, unknown or
    /// unavailable message, invalid request) are thrown at once instead.
    ///
    /// This is the form for front ends that are themselves callback-driven (the HTTP
    /// gateway answers a request from here): it saves the two executor hops of an `await`.
    public func call(_ name: String, json: some Collection<UInt8> & Sendable, timeout: Duration? = nil,
                     completion: @escaping @Sendable (Result<DecodedMessage, VPPError>) -> Void) throws(VPPError) {
        let connection = try requireConnection()
        try connection.call(name, timeout: timeout ?? configuration.callTimeout, encode: {
            (codec: Codec, header: MessageHeader) throws(CodecError) -> [UInt8] in
            try codec.encode(json: json, as: name, header: header)
        }, completion: completion)
    }

    /// `call(_:_:timeout:)` without a task; see `call(_:json:timeout:completion:)`.
    public func call(_ name: String, _ fields: JSONValue, timeout: Duration? = nil,
                     completion: @escaping @Sendable (Result<DecodedMessage, VPPError>) -> Void) throws(VPPError) {
        let connection = try requireConnection()
        try connection.call(name, timeout: timeout ?? configuration.callTimeout, encode: {
            (codec: Codec, header: MessageHeader) throws(CodecError) -> [UInt8] in
            try codec.encode(fields, as: name, header: header)
        }, completion: completion)
    }

    /// `call`, but a reply with a non-zero `retval` throws `VPPError.retval(code, name,
    /// reply)` (name it with `VPPErrorCode.lookup(code)`).
    public func checkedCall(_ name: String, _ fields: JSONValue = .object(JSONObject()),
                            timeout: Duration? = nil) async throws(VPPError) -> DecodedMessage {
        try await call(name, fields, timeout: timeout).checked()
    }

    /// The details of a dump (`X_dump`) or get/stream (`X_get`) request, as an async
    /// sequence that delivers them while they arrive (see `VPPStream`). Nothing is sent
    /// until iteration starts; `timeout` bounds the wait for each message.
    public func dump(_ name: String, _ fields: JSONValue = .object(JSONObject()),
                     timeout: Duration? = nil) -> VPPStream {
        VPPStream(client: self, name: name, fields: fields, timeout: timeout)
    }

    /// Subscribes to an event message by name (e.g. `sw_interface_event`). Registration
    /// with VPP (`want_*`) is the caller's business, through `call`; the subscription itself
    /// never blocks the socket reader (see `VPPEventSubscription`).
    public func events(named name: String, bufferSize: Int? = nil) -> VPPEventSubscription {
        hub.subscribe(name, bufferSize: bufferSize ?? configuration.eventBufferSize)
    }

    /// Sends a pre-encoded message (payload from `_vl_msg_id` on, no transport header) as
    /// is, for messages the schema cannot express or for probing.
    ///
    /// The current client index and a fresh context are written at `clientIndexOffset`
    /// and `contextOffset` (big-endian u32; the conventional request header puts them at 2
    /// and 6) when those are non-nil and inside the payload. With `contextOffset` the call
    /// waits for the message carrying that context and returns it raw (decode it with
    /// `session?.decode`); without, it returns nil once queued.
    public func sendRaw(_ payload: [UInt8], contextOffset: Int? = 6, clientIndexOffset: Int? = 2,
                        timeout: Duration? = nil) async throws(VPPError) -> VPPRawMessage? {
        let connection = try requireConnection()
        let session = try connection.requireSession()
        var bytes = payload
        func put(_ v: UInt32, at offset: Int) {
            guard offset >= 0, offset + 4 <= bytes.count else { return }
            bytes[offset] = UInt8(truncatingIfNeeded: v >> 24)
            bytes[offset + 1] = UInt8(truncatingIfNeeded: v >> 16)
            bytes[offset + 2] = UInt8(truncatingIfNeeded: v >> 8)
            bytes[offset + 3] = UInt8(truncatingIfNeeded: v)
        }
        if let o = clientIndexOffset { put(session.clientIndex, at: o) }
        guard let o = contextOffset, o >= 0, o + 4 <= bytes.count else {
            if let error = connection.transport.send({ FrameHeader.appendFramed(bytes, to: &$0) }) { throw error }
            return nil
        }
        let context = connection.nextContext()
        put(context, at: o)
        let name = bytes.count >= 2 ? "raw message id \(UInt16(bytes[0]) << 8 | UInt16(bytes[1]))" : "raw message"
        let frozen = bytes
        return try await connection.roundTrip(context, name: name, timeout: timeout ?? configuration.callTimeout) {
            FrameHeader.appendFramed(frozen, to: &$0)
        }.get()
    }
}
