import Logging
import Synchronization

/// What the libmicrohttpd callbacks share: configuration, the handler, and the
/// registry of work that shutdown must finish (in-flight handlers, open
/// streams). It outlives the daemon: the daemon holds one retain of it,
/// released only after `MHD_stop_daemon` returned.
final class ServerCore: Sendable {
    let configuration: HTTPServerConfiguration
    let logger: Logger
    let handler: HTTPResponderHandler
    /// Mutual TLS: every request must carry a verified client certificate.
    let requiresClientCertificate: Bool
    /// Sends eligible streams' bytes straight to their sockets; nil with TLS (the bytes must
    /// go through libmicrohttpd's TLS session) or when turned off.
    let flusher: SocketFlusher?

    private let registry = Mutex(Registry())
    /// Resumes claimed but not yet carried out (see ``PendingResume``); the
    /// daemon may only be stopped when this is zero.
    private let resumesInFlight = Atomic<Int>(0)
    /// Cleared when shutdown begins; the accept-policy callback reads it.
    private let accepting = Atomic<Bool>(true)
    /// The last diagnostic libmicrohttpd logged, for start-failure messages.
    private let lastMessage = Mutex("")

    private struct Registry {
        var shuttingDown = false
        var requests: [ObjectIdentifier: RequestContext] = [:]
        var streams: [ObjectIdentifier: StreamCore] = [:]
    }

    init(configuration: HTTPServerConfiguration, logger: Logger, handler: @escaping HTTPResponderHandler) {
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
        self.requiresClientCertificate = configuration.tls?.clientCAPEM != nil
        let writers = configuration.streamWriterThreads
        self.flusher = configuration.tls == nil && writers > 0 ? SocketFlusher(threads: writers) : nil
    }

    // MARK: diagnostics

    /// Records and logs a libmicrohttpd diagnostic. Logged at debug level: most
    /// are about misbehaving clients (bad TLS handshakes, malformed requests).
    func noteLibraryMessage(_ message: String) {
        lastMessage.withLock { $0 = message }
        logger.debug("libmicrohttpd: \(message)")
    }

    var lastLibraryMessage: String { lastMessage.withLock { $0 } }

    // MARK: registry

    var isShuttingDown: Bool { registry.withLock { $0.shuttingDown } }

    /// Whether new TCP connections are taken (false once shutdown began).
    var acceptsConnections: Bool { accepting.load(ordering: .relaxed) }

    /// Records a request whose handler is about to run; `false` once shutdown
    /// began (the caller answers 503 instead). Check and insert are atomic with
    /// ``beginShutdown()`` so shutdown never misses a request.
    func registerRequest(_ context: RequestContext) -> Bool {
        registry.withLock { registry in
            if registry.shuttingDown { return false }
            registry.requests[ObjectIdentifier(context)] = context
            return true
        }
    }

    func unregisterRequest(_ context: RequestContext) {
        _ = registry.withLock { $0.requests.removeValue(forKey: ObjectIdentifier(context)) }
    }

    /// Records an open stream; `false` once shutdown began (the caller ends it).
    func registerStream(_ stream: StreamCore) -> Bool {
        registry.withLock { registry in
            if registry.shuttingDown { return false }
            registry.streams[ObjectIdentifier(stream)] = stream
            return true
        }
    }

    func unregisterStream(_ stream: StreamCore) {
        _ = registry.withLock { $0.streams.removeValue(forKey: ObjectIdentifier(stream)) }
    }

    func resumeStarted() {
        resumesInFlight.add(1, ordering: .sequentiallyConsistent)
    }

    func resumeFinished() {
        resumesInFlight.subtract(1, ordering: .sequentiallyConsistent)
    }

    var pendingResumes: Int { resumesInFlight.load(ordering: .sequentiallyConsistent) }

    /// In-flight handlers plus open streams: what a graceful shutdown waits for.
    var activeWork: (requests: Int, streams: Int) {
        registry.withLock { ($0.requests.count, $0.streams.count) }
    }

    /// Stops taking connections and requests, and asks every open stream to end
    /// once its queue drains (their writers see ``HTTPStreamError/closed``).
    func beginShutdown() {
        accepting.store(false, ordering: .relaxed)
        let streams = registry.withLock { registry in
            registry.shuttingDown = true
            return Array(registry.streams.values)
        }
        for stream in streams { stream.end(aborting: false) }
    }

    /// The end of the grace period: every waiting request gets a 503 and every
    /// stream ends now, so no connection stays suspended.
    func forceEnd() {
        let (requests, streams) = registry.withLock { registry in
            registry.shuttingDown = true
            return (Array(registry.requests.values), Array(registry.streams.values))
        }
        for request in requests { request.forceResponse(ServerProblem.shuttingDown()) }
        for stream in streams { stream.end(aborting: true) }
    }

    // MARK: the request path (libmicrohttpd's polling thread)

    /// One call of the access handler; see ``RequestContext`` for the phases.
    func handleAccess(
        _ context: RequestContext,
        connection: ConnectionRef,
        method: () -> String,
        version: () -> String,
        upload: UnsafeRawBufferPointer,
        uploadSize: UnsafeMutablePointer<Int>
    ) -> Bool {
        switch context.phase {
        case .new:
            return beginRequest(context, connection: connection, method: method(), version: version())
        case .receivingBody:
            if uploadSize.pointee > 0 {
                let verdict = context.appendBody(upload, limit: configuration.maxBodySize)
                uploadSize.pointee = 0
                return verdict != .abort
            }
            if context.bodyTooLarge {
                return respond(ServerProblem.bodyTooLarge(limit: configuration.maxBodySize), context, connection)
            }
            guard registerRequest(context) else {
                return respond(ServerProblem.shuttingDown(), context, connection)
            }
            // The handler answers now (queued below without suspending) or later, from any
            // thread (the connection is suspended meanwhile and resumed by the answer).
            let request = context.beginHandling(connection: connection, server: self)
            handler(request, HTTPResponder(context: context))
            guard let response = context.takeResultOrSuspend(connection: connection) else { return true }
            return respond(response, context, connection)
        case .handling:
            guard let response = context.takeResultOrSuspend(connection: connection) else { return true }
            return respond(response, context, connection)
        case .responded, .completed:
            uploadSize.pointee = 0
            return true
        }
    }

    /// The first access call: headers only. Rejects early what needs no body
    /// (missing client certificate, shutdown, declared body too large);
    /// queuing early makes libmicrohttpd skip the body and close afterwards.
    private func beginRequest(_ context: RequestContext, connection: ConnectionRef, method: String, version: String) -> Bool {
        var head = RequestContext.Head()
        head.method = method
        head.version = version
        head.headers = MHDBridge.headers(of: connection)
        (head.remoteAddress, head.remotePort) = MHDBridge.peer(of: connection)
        if requiresClientCertificate {
            switch MHDBridge.verifiedClientSubject(of: connection) {
            case .verified(let subject):
                head.clientCertificateSubject = subject
            case .missing:
                return respond(ServerProblem.clientCertificateRequired(invalid: false), context, connection)
            case .invalid:
                return respond(ServerProblem.clientCertificateRequired(invalid: true), context, connection)
            }
        }
        context.received(head: head)
        if isShuttingDown {
            return respond(ServerProblem.shuttingDown(), context, connection)
        }
        if let refusal = Self.framingRefusal(head.headers, version: version) {
            return respond(refusal, context, connection)
        }
        if let declared = head.headers.first(where: { $0.name == "content-length" }),
           let length = UInt64(declared.value.trimmingASCIISpaces), length > UInt64(configuration.maxBodySize) {
            return respond(ServerProblem.bodyTooLarge(limit: configuration.maxBodySize), context, connection)
        }
        return true
    }

    /// Requests whose framing could be read two ways are refused before the body is read:
    /// repeated or listed Content-Length values, Content-Length with Transfer-Encoding,
    /// codings other than chunked, whitespace in field names, and HTTP/1.1 without Host
    /// (RFC 9112 §3.2, §5.1, §6.1, §6.3).
    static func framingRefusal(_ headers: [(name: String, value: String)], version: String) -> HTTPResponse? {
        // One pass over the (lowercased) names, bytes only: this runs for every request.
        var lengths = 0
        var listedLength = false
        var codings: [String] = []
        var hasHost = false
        for header in headers {
            if header.name.utf8.contains(where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
                return ServerProblem.ambiguousFraming("Whitespace in a header field name (RFC 9112 §5.1).")
            }
            switch header.name {
            case "content-length":
                lengths += 1
                if header.value.utf8.contains(UInt8(ascii: ",")) { listedLength = true }
            case "transfer-encoding":
                codings.append(header.value)
            case "host":
                hasHost = true
            default:
                break
            }
        }
        if lengths > 1 || listedLength {
            return ServerProblem.ambiguousFraming("More than one Content-Length.")
        }
        if !codings.isEmpty, lengths > 0 {
            return ServerProblem.ambiguousFraming("Both Transfer-Encoding and Content-Length.")
        }
        if let coding = codings.joined(separator: ",").split(separator: ",")
            .map({ String($0).trimmingASCIISpaces.lowercased() }).first(where: { $0 != "chunked" }) {
            return ServerProblem.unsupportedTransferCoding(coding)
        }
        if version == "HTTP/1.1", !hasHost {
            return ServerProblem.ambiguousFraming("HTTP/1.1 requests need a Host header.")
        }
        return nil
    }

    /// Queues `response` on the connection; `false` closes the connection.
    private func respond(_ response: HTTPResponse, _ context: RequestContext, _ connection: ConnectionRef) -> Bool {
        context.markResponded()
        var response = response
        if !(200...999).contains(response.status) {
            logger.error("handler returned invalid status \(response.status) for \(context.loggablePath)")
            if case .stream(let source) = response.body { source.core.close() }
            response = ServerProblem.invalidResponse(status: response.status)
        }
        let queued = MHDBridge.queue(response, on: connection, server: self)
        if !queued {
            logger.warning("could not queue the response for \(context.loggablePath); closing the connection")
        }
        return queued
    }
}

extension String {
    /// The string without leading and trailing ASCII spaces and tabs.
    var trimmingASCIISpaces: Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return self[start...last]
    }
}
