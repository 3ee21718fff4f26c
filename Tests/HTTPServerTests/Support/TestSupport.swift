import Foundation
import HTTPServer
import Logging
import Synchronization

/// Runs blocking work (socket reads, subprocesses) on its own thread, keeping
/// the Swift concurrency pool free for the server's handlers.
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}

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

/// A value that can be handed from one thread to a waiting task.
final class Mailbox<Value: Sendable>: Sendable {
    private let state = Mutex<(values: [Value], waiters: [CheckedContinuation<Value, Never>])>(([], []))

    func put(_ value: Value) {
        let waiter = state.withLock { state -> CheckedContinuation<Value, Never>? in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.values.append(value)
            return nil
        }
        waiter?.resume(returning: value)
    }

    func take() async -> Value {
        await withCheckedContinuation { (continuation: CheckedContinuation<Value, Never>) in
            let value = state.withLock { state -> Value? in
                if !state.values.isEmpty { return state.values.removeFirst() }
                state.waiters.append(continuation)
                return nil
            }
            if let value { continuation.resume(returning: value) }
        }
    }

    /// Blocking variant for client threads; nil after `timeout` seconds.
    func takeBlocking(timeout: Double) -> Value? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let value = state.withLock { state -> Value? in
                state.values.isEmpty ? nil : state.values.removeFirst()
            }
            if let value { return value }
            usleep(1000)
        }
        return nil
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
