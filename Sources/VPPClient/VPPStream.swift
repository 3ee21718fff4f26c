import Synchronization
import VPPCodec
import VPPJSON
import VPPSchema

/// The receiving side of one dump or get/stream page sequence, fed by the reader thread.
final class StreamRun: Sendable {
    enum Item: Sendable {
        case details(VPPRawMessage)
        /// The message that ends a page: `control_ping_reply` for a dump, the `X_get_reply`
        /// for a get/stream call.
        case end(VPPRawMessage)
    }

    let channel = BufferedChannel<Item>()
    /// Id of the message that ends a page.
    let endID: UInt16
    let name: String
    let limit: Int
    /// The context of the page in flight (for cancellation).
    let context = Atomic<UInt32>(0)
    private let lastActivity = Atomic<UInt64>(POSIX.now())

    init(name: String, endID: UInt16, limit: Int) {
        self.name = name
        self.endID = endID
        self.limit = max(1, limit)
    }

    /// Takes one message (reader thread); false when the run no longer accepts messages
    /// (consumer too far behind, or already ended), so the caller stops routing to it.
    func receive(_ message: VPPRawMessage) -> Bool {
        lastActivity.store(POSIX.now(), ordering: .relaxed)
        let isEnd = message.messageID == endID
        let accepted = channel.produce { q -> Bool in
            if !isEnd && q.count >= limit { return false }
            q.append(isEnd ? .end(message) : .details(message))
            return true
        }
        if accepted == false {
            channel.finish(.streamOverflow(message: name, limit: limit), discard: true)
        }
        return accepted == true
    }

    /// Restarts the idle clock (a new page was requested).
    func touch() { lastActivity.store(POSIX.now(), ordering: .relaxed) }

    /// When the run times out if nothing more arrives.
    func idleDeadline(timeout: Duration) -> UInt64 {
        let (d, o) = lastActivity.load(ordering: .relaxed).addingReportingOverflow(timeout.nanoseconds)
        return o ? .max : d
    }

    /// Ends the run with an error; buffered details are dropped.
    func fail(_ error: VPPError) {
        channel.finish(error, discard: true)
    }
}

/// The details of a dump or get/stream call, delivered while they arrive.
///
/// A *dump* (`X_dump` → N × `X_details`) is sent followed by a `control_ping` with the
/// same context, and ends at its `control_ping_reply`, as vpp_papi and GoVPP do (notes
/// §1.6). A *get/stream* call (`X_get` → details, then `X_get_reply{retval, cursor}`) is
/// repeated with the returned cursor while `retval` is -165 `EAGAIN` (notes §1.7); the next
/// page is requested only when the consumer has taken the previous one, so a slow consumer
/// slows the paging instead of filling memory. A non-zero final `retval` ends the
/// iteration with `VPPError.retval`.
///
/// Each iteration sends the request anew (the sequence describes the call; nothing is sent
/// before `next()`). Buffering is bounded by `maxBufferedDetails`: a consumer that falls
/// further behind gets `VPPError.streamOverflow` — the socket reader never waits for it.
/// Abandoning the iterator or cancelling the task stops routing (late details are
/// discarded by the reader).
public struct VPPStream: AsyncSequence, Sendable {
    /// One decoded details message.
    public typealias Element = DecodedMessage
    /// Why the stream ended early (timeout, disconnect, overflow, a retval, …).
    public typealias Failure = VPPError

    let client: VPPClient
    /// The request message (`X_dump` or `X_get`).
    public let name: String
    /// The request fields.
    public let fields: JSONValue
    /// Idle timeout between two messages (nil: the client's `callTimeout`).
    public let timeout: Duration?

    init(client: VPPClient, name: String, fields: JSONValue, timeout: Duration?) {
        self.client = client
        self.name = name
        self.fields = fields
        self.timeout = timeout
    }

    /// Starts an iteration.
    public func makeAsyncIterator() -> Iterator { Iterator(stream: self) }

    /// Collects every details message (convenient for small dumps and tests).
    nonisolated(nonsending) public func collect() async throws(VPPError) -> [DecodedMessage] {
        var out: [DecodedMessage] = []
        var it = makeAsyncIterator()
        while let m = try await it.next() { out.append(m) }
        return out
    }

    /// Iterates one execution of the call.
    public struct Iterator: AsyncIteratorProtocol {
        private let stream: VPPStream
        private var state: StreamDriver?
        private var done = false

        init(stream: VPPStream) { self.stream = stream }

        /// The next details message, decoded; nil at the end.
        nonisolated(nonsending) public mutating func next() async throws(VPPError) -> DecodedMessage? {
            guard let raw = try await nextRaw(), let driver = state else { return nil }
            return try driver.session.decode(raw)
        }

        /// The isolation-preserving form used by `for try await`.
        public mutating func next(isolation actor: isolated (any Actor)?) async throws(VPPError) -> DecodedMessage? {
            try await next()
        }

        /// The next details message undecoded (with `session` to decode it later).
        nonisolated(nonsending) public mutating func nextRaw() async throws(VPPError) -> VPPRawMessage? {
            if done { return nil }
            do {
                if state == nil { state = try StreamDriver.start(stream) }
                guard let driver = state else { return nil }
                let m = try await driver.nextDetails()
                if m == nil { done = true; state = nil }
                return m
            } catch {
                done = true
                state = nil
                throw error
            }
        }

        /// Decodes the next details message straight into `writer` (no intermediate array:
        /// the hot path for streaming a large dump into one HTTP response). Returns false at
        /// the end.
        nonisolated(nonsending) public mutating func next(appendingTo writer: inout JSONWriter) async throws(VPPError) -> Bool {
            guard let raw = try await nextRaw(), let driver = state else { return false }
            let session = driver.session
            guard let info = session.table.inbound(raw.messageID), info.decodable else {
                _ = try session.decode(raw)   // throws the precise reason
                return false
            }
            let result = raw.bytes.withUnsafeBytes { p in
                Result { () throws(CodecError) -> MessageHeader in try session.codec.decode(p, as: info.name, appendingTo: &writer) }
            }
            if case .failure(let e) = result { throw .malformedReply(message: info.name, e) }
            return true
        }

        /// The session the iteration runs on (nil before the first `next()`).
        public var session: VPPSession? { state?.session }
    }
}

/// Sends the request(s) and pulls pages for one iteration of a `VPPStream`.
final class StreamDriver {
    let session: VPPSession
    private let connection: Connection
    private let run: StreamRun
    private let name: String
    private let pattern: Service.Pattern
    private let requestID: UInt16
    private let replyName: String?
    private var fields: JSONValue
    private let timeout: Duration
    private var finished = false
    /// Details received since the current page was requested.
    private var detailsThisPage = 0

    private init(session: VPPSession, connection: Connection, run: StreamRun, name: String,
                 pattern: Service.Pattern, requestID: UInt16, replyName: String?, fields: JSONValue, timeout: Duration) {
        self.session = session
        self.connection = connection
        self.run = run
        self.name = name
        self.pattern = pattern
        self.requestID = requestID
        self.replyName = replyName
        self.fields = fields
        self.timeout = timeout
    }

    deinit {
        if !finished {
            // Abandoned mid-stream: stop routing; late details are dropped by the reader.
            connection.pending.fail(run.context.load(ordering: .relaxed), with: .cancelled)
            run.fail(.cancelled)
        }
    }

    static func start(_ stream: VPPStream) throws(VPPError) -> StreamDriver {
        let connection = try stream.client.requireConnection()
        let session = try connection.requireSession()
        let name = stream.name
        let requestID = try connection.sendable(name, in: session).id
        guard let service = session.schema.service(for: name),
              service.pattern == .dump || service.pattern == .getStream else {
            throw .wrongPattern(message: name, expected: "\(name) is not a dump or get/stream request: use call()")
        }
        let endID: UInt16
        if service.pattern == .dump {
            endID = session.table.controlPingReplyID
        } else {
            guard let reply = service.reply, let id = session.table.id(of: reply) else {
                throw .messageUnavailable(service.reply ?? name, session.unavailableReason(service.reply ?? name))
            }
            endID = id
        }
        let run = StreamRun(name: name, endID: endID, limit: connection.configuration.maxBufferedDetails)
        let driver = StreamDriver(session: session, connection: connection, run: run, name: name,
                                  pattern: service.pattern, requestID: requestID, replyName: service.reply,
                                  fields: stream.fields, timeout: stream.timeout ?? connection.configuration.callTimeout)
        try driver.sendPage()
        return driver
    }

    /// Sends the request (and, for a dump, the closing `control_ping`) under a new context.
    private func sendPage() throws(VPPError) {
        let context = connection.nextContext()
        let header = MessageHeader(messageID: requestID, clientIndex: session.clientIndex, context: context)
        let payload: [UInt8]
        do {
            payload = try session.codec.encode(fields, as: name, header: header)
        } catch {
            finished = true
            throw .invalidRequest(message: name, error)
        }
        run.context.store(context, ordering: .relaxed)
        detailsThisPage = 0
        run.touch()
        guard connection.pending.insert(context, .stream(run), name: name, timeout: timeout) else {
            finished = true
            throw .notConnected
        }
        let ping = pattern == .dump
            ? Handshake.headerOnly(id: session.table.controlPingID, clientIndex: session.clientIndex, context: context)
            : nil
        // One append: the dump and its control_ping leave back to back (notes §1.6).
        if let error = connection.transport.send({ out in
            FrameHeader.appendFramed(payload, to: &out)
            if let ping { FrameHeader.appendFramed(ping, to: &out) }
        }) {
            _ = connection.pending.remove(context)
            finished = true
            throw error
        }
    }

    /// The next details message, nil after the last page.
    nonisolated(nonsending) func nextDetails() async throws(VPPError) -> VPPRawMessage? {
        while true {
            let run = self.run
            let connection = self.connection
            let result = await withTaskCancellationHandler {
                await run.channel.next()
            } onCancel: {
                connection.pending.fail(run.context.load(ordering: .relaxed), with: .cancelled)
                run.fail(.cancelled)
            }
            switch result {
            case .failure(let e):
                finished = true
                throw e
            case .success(.none):
                finished = true
                return nil
            case .success(.details(let m)):
                detailsThisPage += 1
                return m
            case .success(.end(let reply)):
                var more = false
                if pattern == .getStream {
                    more = try nextPage(after: reply)
                } else if let pid = Handshake.pingReplyPID(reply.bytes), pid != session.vpePID {
                    // The closing control_ping_reply doubles as a liveness probe (notes §1.6).
                    connection.closeSayingGoodbye(.vppRestarted(oldPID: session.vpePID, newPID: pid))
                }
                if !more {
                    finished = true
                    return nil
                }
            }
        }
    }

    /// Handles a get/stream reply: -165 EAGAIN → request again from the returned cursor;
    /// 0 → done; -7 with cursor ~0 and no details in the page → done (see below); anything
    /// else → `VPPError.retval` (api_helper_macros.h:385-527). Returns false when the stream
    /// is complete.
    ///
    /// VPP's get/stream macros answer `INVALID_VALUE` with cursor ~0 when there is nothing
    /// to send: the vector variant when the vector is empty (`sw_interface_tx_placement_get`
    /// for an interface without tx queues), the pool variant when the cursor's slot was
    /// freed between two pages and nothing follows it. Both mean "no (more) entries", so
    /// the caller gets the details it has — an empty list, not a failed call. A handler's
    /// own -7 (a bad argument) goes out through `REPLY_MACRO` with the cursor left 0.
    private func nextPage(after reply: VPPRawMessage) throws(VPPError) -> Bool {
        let decoded: DecodedMessage
        do {
            decoded = try session.decode(reply)
        } catch {
            finished = true
            throw error
        }
        let retval = decoded.retval ?? 0
        if retval == 0 { return false }
        let members = (try? JSONParser.parse(decoded.json))?.objectValue
        let cursor = members?["cursor"]
        if retval == VPPErrorCode.invalidValue, detailsThisPage == 0,
           case .number(let n)? = cursor, n.uint64Value == UInt64(UInt32.max) {
            return false
        }
        guard retval == VPPErrorCode.eagain else {
            finished = true
            throw .retval(retval, replyName ?? decoded.message.name, decoded)
        }
        guard let cursor else {
            finished = true
            throw .malformedReply(message: decoded.message.name,
                                  CodecError(.invalidValue, path: "/cursor", reason: "retval EAGAIN without a cursor"))
        }
        var request = fields.objectValue ?? JSONObject()
        if let i = request.members.firstIndex(where: { $0.key == "cursor" }) {
            request.members[i].value = cursor
        } else {
            request.append("cursor", cursor)
        }
        fields = .object(request)
        try sendPage()
        return true
    }
}
