#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A request from the public API to the loop thread.
enum LoopCommand: Sendable {
    case stop
    case closeAll
    /// Drop everything and adopt this id table (already published by the caller).
    case restart(MessageTable)
    /// An encoded event (header fields zero) for every client registered via `registration`.
    case emit(name: String, registration: String, payload: [UInt8])
    case setLink(UInt32, Bool)
    case setAdmin(UInt32, Bool)
    case setCounters(UInt32, rx: (UInt64, UInt64), tx: (UInt64, UInt64))
    case flood(count: Int, ratePerSecond: Double?)
    case toggleLinks(ratePerSecond: Double)
}

/// State shared between the public `VPPSimulator` and its loop thread.
///
/// The loop owns everything else (connections, interfaces, registrations) without locks, like
/// VPP's main thread; this object is the only meeting point: a command queue with a wake-up
/// pipe, received-message counters, the current pid and message table, and exit notification.
final class SimulatorShared: Sendable {
    private let commands = Mutex<[LoopCommand]>([])
    private let counts = Mutex<[String: Int]>([:])
    private let table: Mutex<MessageTable>
    private let exit = Mutex<(done: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))
    let pid: Atomic<UInt32>
    /// Restarts so far (a reordering restart alternates between the configured order and its reverse).
    let restarts = Atomic<Int>(0)
    let faults: SimulatorFaults
    /// Read end (loop polls it) and write end (commands poke it) of the wake-up pipe.
    let wakeRead: Int32
    let wakeWrite: Int32

    init(table: MessageTable, pid: UInt32, faults: SimulatorFaults) throws(SimulatorError) {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw SimulatorError.system("pipe", errno) }
        for fd in fds {
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        self.table = Mutex(table)
        self.pid = Atomic(pid)
        self.faults = faults
    }

    deinit {
        Wire.closeDescriptor(wakeRead)
        Wire.closeDescriptor(wakeWrite)
    }

    /// Queues a command and wakes the loop.
    func post(_ command: LoopCommand) {
        commands.withLock { $0.append(command) }
        var b: UInt8 = 1
        _ = write(wakeWrite, &b, 1)
    }

    /// Takes every queued command (loop thread).
    func takeCommands() -> [LoopCommand] {
        var buf = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &buf, buf.count) > 0 {}
        return commands.withLock { c in
            defer { c.removeAll() }
            return c
        }
    }

    /// Adds received-message counts (loop thread, once per batch).
    func addCounts(_ batch: [String: Int]) {
        guard !batch.isEmpty else { return }
        counts.withLock { c in
            for (k, v) in batch { c[k, default: 0] += v }
        }
    }

    func count(_ name: String) -> Int { counts.withLock { $0[name] ?? 0 } }

    func resetCounts() { counts.withLock { $0.removeAll() } }

    var currentTable: MessageTable {
        get { table.withLock { $0 } }
        set { table.withLock { $0 = newValue } }
    }

    /// Called by the loop thread as its last action.
    func markExited() {
        let waiters = exit.withLock { e in
            e.done = true
            defer { e.waiters.removeAll() }
            return e.waiters
        }
        for w in waiters { w.resume() }
    }

    /// Suspends until the loop thread has exited.
    func waitForExit() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = exit.withLock { e in
                if !e.done { e.waiters.append(c) }
                return e.done
            }
            if done { c.resume() }
        }
    }

    var hasExited: Bool { exit.withLock { $0.done } }
}

/// Why the simulator could not start or could not do what was asked.
public enum SimulatorError: Error, Sendable, CustomStringConvertible {
    /// A system call failed (name and errno).
    case system(String, Int32)
    /// The socket path does not fit `sockaddr_un`.
    case socketPathTooLong(String)
    /// A process (VPP, another simulator) is accepting connections on the socket path.
    case socketInUse(String)
    /// `start()` was called twice, or after `stop()`.
    case notStartable
    /// An event that no `want_*` message of the schema registers for.
    case noRegistrationFor(String)
    /// The message is not in the simulator's schema.
    case unknownMessage(String)

    public var description: String {
        switch self {
        case .system(let call, let e): "\(call) failed: \(String(cString: strerror(e))) (errno \(e))"
        case .socketPathTooLong(let p): "socket path is too long for a Unix socket (\(p.utf8.count) bytes): \(p)"
        case .socketInUse(let p): "a process is already serving \(p) (VPP or another simulator); refusing to take its socket over — stop it or choose another --socket"
        case .notStartable: "the simulator was already started"
        case .noRegistrationFor(let e): "no want_* message of the schema registers for \(e)"
        case .unknownMessage(let m): "\(m) is not a message of the simulator's schema"
        }
    }
}
