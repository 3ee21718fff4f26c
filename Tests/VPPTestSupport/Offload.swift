import Foundation

/// Runs blocking work (socket reads, subprocesses) on its own thread, keeping the Swift
/// concurrency pool free for the server's handlers: on a 2-core machine the pool has two
/// threads, and a test blocking them would deadlock the server it is testing.
public func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}
