import Foundation
import HTTPServer
import Logging
import Synchronization
import VPPClient
import VPPCodec
import VPPEvents
import VPPSchema

/// The gateway: HTTP routes over one VPP connection and one event hub.
///
/// Every message of the loaded schema is an endpoint; the schema comes from the connected
/// VPP (`get_api_json`) merged with `--api-dir`, or, while VPP is away, from the folders
/// alone, so decode, encode, schema and OpenAPI keep working without VPP.
public final class Gateway: Sendable {
    /// The configuration it was started with.
    public let configuration: GatewayConfiguration
    /// The VPP connection.
    public let client: VPPClient
    /// The event hub.
    public let hub: EventHub
    let metrics: GatewayMetrics
    let logger: Logger
    /// The schema used while no session exists (from `--api-dir`, or built in).
    let offlineCodec: Codec?
    /// Cross-origin and host-name checks, CORS headers.
    let browserGuard: BrowserGuard
    private let server: Mutex<HTTPServer?> = Mutex(nil)
    let openAPICache: Mutex<(codec: Codec, body: [UInt8])?> = Mutex(nil)
    private let requestCounter = Atomic<UInt64>(0)
    /// SSE streams per client address, for `sseMaxPerClient`.
    let streamsPerClient = Mutex<[String: Int]>([:])
    private let requestPrefix = String(UInt32.random(in: 0...UInt32.max), radix: 16)

    /// Prepares a gateway; `start()` connects and listens.
    public init(configuration: GatewayConfiguration, offlineSchema: Schema? = nil, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        client = VPPClient(configuration: configuration.client, logger: logger)
        hub = EventHub(client: client, configuration: configuration.events, logger: logger)
        metrics = GatewayMetrics()
        offlineCodec = offlineSchema.map { Codec(schema: $0) }
        browserGuard = BrowserGuard(configuration.access.browser)
    }

    /// Starts connecting to VPP (retrying in the background) and serving HTTP. When the
    /// HTTP side cannot start (port taken, bad TLS material), the VPP connection it has
    /// opened is closed again with `sockclnt_delete`, so a failed start leaves nothing
    /// behind on VPP.
    /// - Returns: the bound port.
    @discardableResult
    public func start() async throws -> UInt16 {
        await client.start()
        await hub.start()
        let handler: HTTPResponderHandler = { [self] request, responder in respond(to: request, with: responder) }
        let s: HTTPServer
        do {
            s = try HTTPServer(configuration: configuration.http, logger: logger, responder: handler)
            try s.start()
        } catch {
            await hub.shutdown()
            await client.shutdown()
            throw error
        }
        server.withLock { $0 = s }
        metrics.watch(client: client)
        logger.info("serving", metadata: ["address": "\(configuration.http.host):\(s.port)",
                                          "vpp_socket": "\(configuration.client.socketPath)"])
        return s.port
    }

    /// The bound HTTP port (0 before `start`).
    public var port: UInt16 { server.withLock { $0?.port ?? 0 } }

    /// Stops taking requests, ends SSE streams with a final event, finishes in-flight calls,
    /// disables VPP registrations and says `sockclnt_delete`.
    public func shutdown(gracePeriod: Duration = .seconds(10)) async {
        await hub.shutdown()
        let s = server.withLock { $0 }
        await s?.shutdown(gracePeriod: gracePeriod)
        await client.shutdown()
    }

    /// The codec for this moment: the live session's when connected, else the offline one.
    var codec: Codec? { client.session?.codec ?? offlineCodec }

    /// Re-reads the tokens file (SIGHUP); on error the old tokens stay in force.
    public func reloadAccess() throws {
        try configuration.access.tokens?.reload()
        logger.notice("tokens reloaded", metadata: ["tokens": "\(configuration.access.tokens?.count ?? 0)"])
    }

    /// What one request carries from its start to its answer: for the request id header,
    /// the metrics and the log line.
    struct Exchange: Sendable {
        let started: ContinuousClock.Instant
        let requestID: String
        let route: Route
        /// The gateway's logger; ``logger`` adds the request id when something is logged
        /// (setting logger metadata formats it at once, a cost most requests never need).
        let baseLogger: Logger
        var caller: String?
        /// `/v1/{message}` of a dump or get/stream message: resolved on the polling thread,
        /// streamed in the task.
        var target: CallTarget?

        /// The logger for this request: `request_id` in its metadata.
        var logger: Logger {
            var logger = baseLogger
            logger[metadataKey: "request_id"] = .string(requestID)
            return logger
        }
    }

    /// Answers one request through `responder`; every failure is a problem+json response.
    ///
    /// Runs on the HTTP server's polling thread, so it never waits: request/reply calls are
    /// encoded and sent from here and answered from the VPP client's reader thread when the
    /// reply arrives (no task, no executor hops: the hot path), answers that need no VPP
    /// are given at once, and everything else (dumps, events, metrics…) runs in a task.
    func respond(to request: HTTPRequest, with responder: HTTPResponder) {
        var exchange = begin(request)
        do throws(Problem) {
            if let refusal = browserGuard.refusal(request) { throw refusal }
            if let preflight = try browserGuard.preflight(request) {
                responder.respond(finish(preflight, request, exchange))
                return
            }
            exchange.caller = try authorize(exchange.route, request)
            if let response = try quickAnswer(exchange.route, request) {
                responder.respond(finish(response, request, exchange))
                return
            }
            if case .message(let name) = exchange.route {
                let target = try callTarget(name, request)
                exchange.target = target
                if !target.isStream {
                    let started = exchange
                    try startCall(target, request) { [self] result in
                        let response = switch result {
                        case .success(let response): response
                        case .failure(let problem): problem.response(requestID: started.requestID)
                        }
                        responder.respond(finish(response, request, started))
                    }
                    return
                }
            }
        } catch {
            responder.respond(finish(error.response(requestID: exchange.requestID), request, exchange))
            return
        }
        let started = exchange
        Task { responder.respond(finish(await handle(request, started), request, started)) }
    }

    /// The answer to routes that cost next to nothing (health, readiness, the index page):
    /// given on the polling thread; nil for every other route.
    private func quickAnswer(_ route: Route, _ request: HTTPRequest) throws(Problem) -> HTTPResponse? {
        switch route {
        case .index: try allow(request, ["GET", "HEAD"]); return indexPage()
        case .healthz: try allow(request, ["GET", "HEAD"]); return health()
        case .readyz: try allow(request, ["GET", "HEAD"]); return try readiness()
        default: return nil
        }
    }

    /// The slow path: routes that await (dumps, events, metrics…) in their own task.
    private func handle(_ request: HTTPRequest, _ exchange: Exchange) async -> HTTPResponse {
        do throws(Problem) {
            if let timeout = configuration.requestTimeout, !exchange.route.isLongLived {
                return try await dispatch(exchange, request, timeout: timeout)
            }
            return try await dispatch(exchange, request)
        } catch {
            return error.response(requestID: exchange.requestID)
        }
    }

    private func begin(_ request: HTTPRequest) -> Exchange {
        // Echoed in a response header and logged: printable ASCII only (no control characters).
        let requestID = request.header("x-request-id").flatMap { $0.utf8.count <= 128 && $0.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) ? $0 : nil } ?? nextRequestID()
        return Exchange(started: ContinuousClock.now, requestID: requestID, route: Route(path: request.path), baseLogger: logger)
    }

    /// Adds the request id, counts the request and logs it.
    private func finish(_ response: HTTPResponse, _ request: HTTPRequest, _ exchange: Exchange) -> HTTPResponse {
        var response = response
        response.headers.append(("X-Request-Id", exchange.requestID))
        browserGuard.decorate(&response, for: request)
        let elapsed = ContinuousClock.now - exchange.started
        metrics.observeRequest(route: exchange.route.metricLabel, method: request.method, status: response.status, duration: elapsed)
        let level: Logger.Level = response.status >= 500 ? .warning : .info
        if exchange.baseLogger.logLevel <= level {
            var meta: Logger.Metadata = ["method": "\(request.method)", "path": "\(request.path)", "status": "\(response.status)",
                                         "duration_ms": "\(Double(elapsed.components.attoseconds / 1_000_000_000_000) / 1000 + Double(elapsed.components.seconds) * 1000)",
                                         "client": "\(request.remoteAddress)"]
            if let caller = exchange.caller { meta["token"] = "\(caller)" }
            exchange.logger.log(level: level, "request", metadata: meta)
        }
        return response
    }

    /// `dispatch`, answered 504 if it takes longer than `timeout` (the work is cancelled).
    private func dispatch(_ exchange: Exchange, _ request: HTTPRequest, timeout: Duration) async throws(Problem) -> HTTPResponse {
        let result = await withTaskGroup(of: Result<HTTPResponse, Problem>?.self) { group in
            group.addTask {
                do throws(Problem) {
                    return .success(try await self.dispatch(exchange, request))
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let result else {
            throw Problem(.vppTimeout, "the request took longer than the gateway's request timeout of \(timeout)")
        }
        return try result.get()
    }

    private func nextRequestID() -> String {
        let n = requestCounter.wrappingAdd(1, ordering: .relaxed).newValue
        return requestPrefix + "-" + String(n, radix: 16)
    }

    private func dispatch(_ exchange: Exchange, _ request: HTTPRequest) async throws(Problem) -> HTTPResponse {
        let route = exchange.route
        switch route {
        case .index, .healthz, .readyz:
            guard let answer = try quickAnswer(route, request) else { throw Problem(.notFound, "no route for \(request.path)") }
            return answer
        // Documents answer HEAD too (libmicrohttpd leaves the body out); calls, dumps and
        // event streams do not: a HEAD would make VPP do the work for nothing.
        case .metrics: try allow(request, ["GET", "HEAD"]); return await metricsPage()
        case .openAPI: try allow(request, ["GET", "HEAD"]); return try openAPIDocument()
        case .schemaList: try allow(request, ["GET", "HEAD"]); return try schemaList()
        case .schemaItem(let name): try allow(request, ["GET", "HEAD"]); return try schemaItem(name)
        case .decode: try allow(request, ["POST"]); return try decode(request)
        case .encode(let name): try allow(request, ["POST"]); return try encode(name, request)
        case .events(let name): try allow(request, ["GET"]); return try await events(name, request)
        case .message(let name):
            // Request/reply calls never get here: `respond` answers them from VPP's reply.
            let target: CallTarget
            if let resolved = exchange.target { target = resolved } else { target = try callTarget(name, request) }
            return try await stream(target, request, logger: exchange.logger)
        case .notFound: throw Problem(.notFound, "no route for \(request.path); see / and /openapi.json")
        }
    }

    func allow(_ request: HTTPRequest, _ methods: [String]) throws(Problem) {
        guard methods.contains(request.method) else {
            var p = Problem(.methodNotAllowed, "\(request.method) is not allowed on \(request.path); use \(methods.joined(separator: " or "))")
            p.headers = [("Allow", methods.joined(separator: ", "))]
            throw p
        }
    }

    /// The current schema, or 503 when there is none at all.
    func requireCodec() throws(Problem) -> Codec {
        guard let codec else {
            throw Problem(.vppNotConnected, "no API schema yet: VPP is not connected and no --api-dir was given")
        }
        return codec
    }
}

extension Route {
    /// Streams that stay open by design (no request timeout).
    var isLongLived: Bool {
        if case .events = self { return true }
        return false
    }

    /// A low-cardinality label for metrics.
    var metricLabel: String {
        switch self {
        case .index: "/"
        case .healthz: "/healthz"
        case .readyz: "/readyz"
        case .metrics: "/metrics"
        case .openAPI: "/openapi.json"
        case .schemaList: "/v1/schema"
        case .schemaItem: "/v1/schema/{name}"
        case .decode: "/v1/decode"
        case .encode: "/v1/encode/{message}"
        case .events(let n): n == nil ? "/v1/events" : "/v1/events/{event}"
        case .message: "/v1/{message}"
        case .notFound: "unmatched"
        }
    }
}
