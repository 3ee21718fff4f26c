import Foundation
import Synchronization
import Logging
import Testing
import VPPCodec
import VPPJSON
import VPPSimulator
@testable import VPPClient

/// A fresh socket path short enough for `sockaddr_un` (108 bytes).
func tempSocketPath() -> String {
    "/tmp/vppc-\(UInt32.random(in: 0...UInt32.max))-\(getpid()).sock"
}

/// A quiet logger for tests (errors only).
func quietLogger(_ label: String) -> Logger {
    var l = Logger(label: label)
    l.logLevel = .error
    return l
}

/// Starts a simulator, runs `body`, and stops it whatever happens.
func withSimulator<T: Sendable>(interfaces: Int = 0, streamPageSize: Int = 3, apiDirectories: [String] = [],
                                _ body: (VPPSimulator) async throws -> T) async throws -> T {
    let sim = try VPPSimulator(configuration: SimulatorConfiguration(
        socketPath: tempSocketPath(), apiDirectories: apiDirectories, interfaces: interfaces,
        streamPageSize: streamPageSize), logger: quietLogger("sim"))
    try sim.start()
    do {
        let r = try await body(sim)
        await sim.stop()
        return r
    } catch {
        await sim.stop()
        throw error
    }
}

/// A client configuration for a simulator, with test-friendly timeouts.
func clientConfiguration(_ sim: VPPSimulator, _ tweak: (inout VPPClientConfiguration) -> Void = { _ in }) -> VPPClientConfiguration {
    var c = VPPClientConfiguration(socketPath: sim.socketPath, clientName: "vpp-client-tests",
                                   callTimeout: .seconds(10), handshakeTimeout: .seconds(10))
    c.reconnect = ReconnectPolicy(initialDelay: .milliseconds(20), maxDelay: .milliseconds(200))
    tweak(&c)
    return c
}

/// Connects a client (one attempt), runs `body`, and shuts the client down.
func withClient<T: Sendable>(_ sim: VPPSimulator, start: Bool = false,
                             _ tweak: (inout VPPClientConfiguration) -> Void = { _ in },
                             _ body: (VPPClient) async throws -> T) async throws -> T {
    let client = VPPClient(configuration: clientConfiguration(sim, tweak), logger: quietLogger("client"))
    if start {
        await client.start()
    } else {
        try await client.connect()
    }
    do {
        let r = try await body(client)
        await client.shutdown()
        return r
    } catch {
        await client.shutdown()
        throw error
    }
}

struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Runs `operation`, failing with `TimedOut` after `limit` (every wait in the tests is bounded).
func within<T: Sendable>(_ limit: Duration, _ what: String = "operation",
                         _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimedOut(what: what) }
        return value
    }
}

/// Polls `condition` every 10 ms until it holds or `limit` passes.
func waitUntil(_ limit: Duration = .seconds(10), _ what: String, _ condition: () async -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while ContinuousClock.now < deadline {
        if await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw TimedOut(what: what)
}

/// The parsed canonical JSON of a decoded message.
func fields(_ m: DecodedMessage) -> JSONObject {
    (try? JSONParser.parse(m.json))?.objectValue ?? JSONObject()
}

/// A JSON object from pairs.
func object(_ pairs: KeyValuePairs<String, JSONValue>) -> JSONValue {
    .object(JSONObject(pairs.map { (key: $0.key, value: $0.value) }))
}

/// A JSON integer.
func int<T: BinaryInteger>(_ v: T) -> JSONValue { .number(JSONNumber(integer: v)) }

/// Records every state change of a client.
final class StateRecorder: Sendable {
    final class Log: Sendable {
        let states = Mutex<[VPPConnectionState]>([])
    }

    private let log = Log()
    private let task: Task<Void, Never>

    init(_ client: VPPClient) {
        let stream = client.stateChanges()
        let log = self.log
        task = Task {
            for await s in stream { log.states.withLock { $0.append(s) } }
        }
    }

    deinit { task.cancel() }

    var all: [VPPConnectionState] { log.states.withLock { $0 } }

    func count(where predicate: (VPPConnectionState) -> Bool) -> Int { all.filter(predicate).count }
}
