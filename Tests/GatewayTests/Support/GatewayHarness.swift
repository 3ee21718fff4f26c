import Foundation
import Gateway
import Logging
import VPPClient
import VPPJSON
import VPPSchema
import VPPSimulator
import VPPTestSupport

/// A gateway serving a simulator, both real: HTTP over TCP on loopback, VPP's protocol over a
/// Unix socket in a private folder.
final class GatewayHarness: Sendable {
    let simulator: VPPSimulator
    let gateway: Gateway
    let directory: String

    static let quietLogger: Logger = {
        var l = Logger(label: "gateway-tests")
        l.logLevel = .critical
        return l
    }()

    /// Starts a simulator (built-in definitions unless `apiDirectories`) and a gateway on an
    /// ephemeral port, and waits until the gateway is connected.
    static func start(interfaces: Int = 3, apiDirectories: [String] = [], streamPageSize: Int = 3,
                      configure: (inout GatewayConfiguration) -> Void = { _ in }) async throws -> GatewayHarness {
        let dir = "/tmp/vgw-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let simulator = try VPPSimulator(configuration: SimulatorConfiguration(
            socketPath: dir + "/api.sock", apiDirectories: apiDirectories, interfaces: interfaces,
            streamPageSize: streamPageSize), logger: quietLogger)
        try simulator.start()
        var config = GatewayConfiguration()
        config.http.port = 0
        config.client.socketPath = dir + "/api.sock"
        config.client.callTimeout = .seconds(5)
        config.client.reconnect = ReconnectPolicy(initialDelay: .milliseconds(20), maxDelay: .milliseconds(200))
        config.events.linger = .milliseconds(200)
        configure(&config)
        let gateway = Gateway(configuration: config, offlineSchema: simulator.schema, logger: quietLogger)
        try await gateway.start()
        let harness = GatewayHarness(simulator: simulator, gateway: gateway, directory: dir)
        try await harness.waitUntil("connected to the simulator") { gateway.client.session != nil }
        return harness
    }

    /// Runs `body` against a fresh harness and always stops it afterwards.
    static func run(interfaces: Int = 3, apiDirectories: [String] = [], streamPageSize: Int = 3,
                    configure: (inout GatewayConfiguration) -> Void = { _ in },
                    _ body: (GatewayHarness) async throws -> Void) async throws {
        let h = try await start(interfaces: interfaces, apiDirectories: apiDirectories, streamPageSize: streamPageSize,
                                configure: configure)
        do {
            try await body(h)
        } catch {
            await h.stop()
            throw error
        }
        await h.stop()
    }

    private init(simulator: VPPSimulator, gateway: Gateway, directory: String) {
        self.simulator = simulator
        self.gateway = gateway
        self.directory = directory
    }

    var port: UInt16 { gateway.port }

    func stop() async {
        await gateway.shutdown(gracePeriod: .seconds(2))
        await simulator.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Waits (bounded) for a condition that other threads make true.
    func waitUntil(_ what: String, timeout: Duration = .seconds(10),
                   _ condition: @Sendable () async -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !(await condition()) {
            guard ContinuousClock.now < deadline else { throw HarnessError.timeout(what) }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// One request on a fresh connection.
    func request(_ method: String, _ target: String, body: String? = nil,
                 headers: [(String, String)] = []) async throws -> RawResponse {
        let port = self.port
        return try await offload {
            let c = try RawHTTPConnection(port: port)
            defer { c.close() }
            return try c.request(method, target, headers: headers, body: Array((body ?? "").utf8))
        }
    }

    func get(_ target: String, headers: [(String, String)] = []) async throws -> RawResponse {
        try await request("GET", target, headers: headers)
    }

    func post(_ target: String, _ body: String, headers: [(String, String)] = []) async throws -> RawResponse {
        try await request("POST", target, body: body, headers: headers)
    }

    /// Opens an SSE stream and reads its response head.
    func events(_ target: String, headers: [(String, String)] = [], receiveBuffer: Int? = nil) async throws -> SSEStream {
        let port = self.port
        return try await offload {
            let c = try RawHTTPConnection(port: port, timeout: 10, receiveBuffer: receiveBuffer)
            try c.sendRequest("GET", target, headers: headers)
            let head = try c.readHead()
            return SSEStream(connection: c, head: head)
        }
    }
}

enum HarnessError: Error, CustomStringConvertible {
    case timeout(String)
    var description: String {
        switch self { case .timeout(let what): "timed out waiting: \(what)" }
    }
}

/// One SSE item as a client sees it.
struct SSEItem: Sendable, Equatable {
    var id: String?
    var event: String
    var data: String

    /// `data` parsed as JSON.
    var json: JSONValue? { try? JSONParser.parse(data) }
}

/// Reads Server-Sent Events from a response (chunked, or ending with the connection).
final class SSEStream: @unchecked Sendable {
    // Used from one offloaded thread at a time.
    let connection: RawHTTPConnection
    let head: ResponseHead
    var status: Int { head.status }
    private var pending = ""

    init(connection: RawHTTPConnection, head: ResponseHead) {
        self.connection = connection
        self.head = head
    }

    /// The next event (comments and `retry:` skipped); throws on timeout or close.
    func next() async throws -> SSEItem {
        try await offload { try self.nextBlocking() }
    }

    /// The next `count` events.
    func next(_ count: Int) async throws -> [SSEItem] {
        try await offload { try (0..<count).map { _ in try self.nextBlocking() } }
    }

    /// Heartbeats keep the socket busy, so each wait has its own deadline: a missing event
    /// fails the test instead of hanging it.
    private func nextBlocking(deadline: ContinuousClock.Instant = .now + .seconds(15)) throws -> SSEItem {
        while true {
            guard ContinuousClock.now < deadline else { throw TestClientError.timeout("no SSE event within 15 s") }
            if let range = pending.range(of: "\n\n") {
                let block = pending[..<range.lowerBound]
                pending.removeSubrange(..<range.upperBound)
                var item = SSEItem(id: nil, event: "message", data: "")
                var sawData = false
                for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                    if line.hasPrefix("id: ") { item.id = String(line.dropFirst(4)) }
                    if line.hasPrefix("event: ") { item.event = String(line.dropFirst(7)) }
                    if line.hasPrefix("data: ") { item.data = String(line.dropFirst(6)); sawData = true }
                }
                if sawData { return item }
                continue
            }
            guard let chunk = try connection.readPiece(of: head) else { throw TestClientError.closed("end of SSE stream") }
            pending += String(decoding: chunk, as: UTF8.self)
        }
    }

    func close() { connection.abort() }
}
