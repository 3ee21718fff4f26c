import VPPTestSupport
import Foundation
import HTTPServer
import Logging
import Synchronization

/// A logger that only shows problems, so test output stays readable.
let testLogger: Logger = {
    var logger = Logger(label: "http-server-tests")
    logger.logLevel = .warning
    return logger
}()

/// A logger for tests that provoke errors on purpose.
let silentLogger: Logger = {
    var logger = Logger(label: "http-server-tests")
    logger.logLevel = .critical
    return logger
}()

/// Starts a server on an ephemeral loopback port.
func startServer(
    _ configure: (inout HTTPServerConfiguration) -> Void = { _ in },
    logger: Logger = testLogger,
    handler: @escaping HTTPHandler
) throws -> HTTPServer {
    var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
    configure(&configuration)
    let server = try HTTPServer(configuration: configuration, logger: logger, handler: handler)
    try server.start()
    return server
}

/// The byte at absolute offset `offset` of the streaming tests' pattern (period 251, so a
/// misplaced or repeated piece shows).
func patternByte(_ offset: Int) -> UInt8 { UInt8(truncatingIfNeeded: offset % 251) }

/// Starts a server whose every request opens a stream (ending with the connection when
/// `endsWithConnection`, as the gateway's event streams do) and hands its writer to `writers`.
func startStreamServer(
    highWaterMark: Int = 64 * 1024,
    endsWithConnection: Bool = false,
    _ configure: (inout HTTPServerConfiguration) -> Void = { _ in },
    writers: Mailbox<HTTPStreamWriter>
) throws -> HTTPServer {
    try startServer(configure) { _ in
        let (source, writer) = HTTPStreamSource.makeStream(highWaterMark: highWaterMark, endsWithConnection: endsWithConnection)
        writers.put(writer)
        return HTTPResponse(status: 200, headers: [("Content-Type", "text/event-stream")], body: .stream(source))
    }
}

/// A thread-safe counter (e.g. "how often was the handler called").
final class Counter: Sendable {
    private let atomic = Atomic<Int>(0)
    @discardableResult
    func increment() -> Int { atomic.add(1, ordering: .sequentiallyConsistent).newValue }
    var value: Int { atomic.load(ordering: .sequentiallyConsistent) }
}

/// A one-shot gate many tasks can wait on; opening releases them all.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let open = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if open { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// Values handed from one thread or task to a waiting task, in order.
final class Mailbox<Value: Sendable>: Sendable {
    private struct State {
        var values: [Value] = []
        var waiters: [UInt64: CheckedContinuation<Value, any Error>] = [:]
        var order: [UInt64] = []
        var nextID: UInt64 = 0
        var cancelled: Set<UInt64> = []
    }

    private let state = Mutex(State())

    func put(_ value: Value) {
        let waiter = state.withLock { state -> CheckedContinuation<Value, any Error>? in
            while !state.order.isEmpty {
                let id = state.order.removeFirst()
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
            }
            state.values.append(value)
            return nil
        }
        waiter?.resume(returning: value)
    }

    /// The next value; throws ``TimeoutError`` after `timeout` seconds, so a
    /// test that never gets its value fails instead of hanging.
    func take(timeout: Double = 10, _ what: String = "a value") async throws -> Value {
        try await within(timeout, what) { try await self.takeCancellable() }
    }

    private func takeCancellable() async throws -> Value {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                let immediate = state.withLock { state -> Result<Value, any Error>? in
                    if state.cancelled.remove(id) != nil { return .failure(CancellationError()) }
                    if !state.values.isEmpty { return .success(state.values.removeFirst()) }
                    state.waiters[id] = continuation
                    state.order.append(id)
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Value, any Error>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter }
                state.cancelled.insert(id)
                return nil
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}

struct TimeoutError: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Awaits `operation` for at most `seconds`; the operation must honour
/// cancellation (do not pass offloaded blocking work).
func within<T: Sendable>(_ seconds: Double, _ what: String, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimeoutError(what: what) }
        return value
    }
}

/// Polls `condition` until true, for at most `seconds` (a bounded wait, not
/// an assertion by sleeping).
func eventually(_ seconds: Double, _ what: String, _ condition: @Sendable () -> Bool) async throws {
    let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int(seconds * 1000)))
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TimeoutError(what: what) }
        try await Task.sleep(for: .milliseconds(2))
    }
}

extension HTTPResponse {
    static func text(_ text: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain", body: text)
    }
}
