#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation
import Synchronization

// Child processes, /proc readings (CPU time, RSS) and the bridge from these synchronous
// sections to async APIs, shared by the client, http and sse sections.

/// Nanoseconds on the monotonic clock (comparable across threads of this process).
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// Runs `body` on the cooperative pool and blocks this (non-pool) thread until it ends.
/// Sections are synchronous; the client, gateway and simulator APIs are async.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let result = Mutex<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let r: Result<T, any Error>
        do { r = .success(try await body()) } catch { r = .failure(error) }
        result.withLock { $0 = r }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0! }.get()
}

/// Raises the open-file limit to the hard limit (10,000 SSE sockets need it).
@discardableResult
func raiseFileLimit() -> Int {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return -1 }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    return Int(limit.rlim_cur)
}

/// Names the calling thread (what `top -H` and /proc/PID/task/TID/stat show).
/// (`pthread_setname_np` is a GNU extension the Glibc module leaves out: looked up.)
func nameThisThread(_ name: String) {
    typealias SetName = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32
    guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "pthread_setname_np") else { return }
    _ = unsafeBitCast(symbol, to: SetName.self)(pthread_self(), String(name.prefix(15)))
}

/// `malloc_trim(0)` (not in the Glibc module): returns freed heap memory to the system, so
/// RSS readings that follow show what is in use rather than what earlier work left cached.
func releaseFreedMemory() {
    typealias Trim = @convention(c) (Int) -> Int32
    guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_trim") else { return }
    _ = unsafeBitCast(symbol, to: Trim.self)(0)
}

/// Keeps every thread of this process and of the processes it starts at one nice value
/// (`--priority`), and the session's autogroup too. Linux nice values are per thread, and
/// libdispatch gives its workers a nice value by QoS, so inheritance is not enough: the threads
/// are re-niced every 100 ms.
final class PriorityKeeper: Sendable {
    private let state = Mutex<(nice: Int32?, pids: [Int32])>((nil, [0]))
    /// The session's autogroup nice value before `start` (restored by `restore()`).
    private let previousAutogroup = Mutex<Int32?>(nil)

    /// Starts keeping this process (and tracked children) at `nice`.
    func start(nice: Int32) {
        let first = state.withLock { s -> Bool in
            defer { s.nice = nice }
            return s.nice == nil
        }
        guard first else { return }
        // With autogroup scheduling (sched_autogroup_enabled) CPU time is first shared between
        // sessions, and thread nice values only count inside one: set the session's too.
        // The session outlives this process (it is the caller's shell's): `restore()` puts it back.
        if let text = ProcReader.read("/proc/self/autogroup"), let range = text.range(of: " nice "),
           let previous = Int32(text[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)) {
            previousAutogroup.withLock { $0 = previous }
            Self.setAutogroup(nice)
        }
        apply()
        let thread = Thread { [self] in
            nameThisThread("priority")
            while true {
                usleep(100_000)
                apply()
            }
        }
        thread.start()
    }

    /// Puts the session's autogroup nice value back (call before exiting).
    func restore() {
        if let previous = previousAutogroup.withLock({ $0 }) { Self.setAutogroup(previous) }
    }

    private static func setAutogroup(_ nice: Int32) {
        let fd = open("/proc/self/autogroup", O_WRONLY)
        guard fd >= 0 else { return }
        let text = Array("\(nice)".utf8)
        _ = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }

    /// Adds a child process (no effect unless started).
    func track(_ pid: Int32) {
        let active = state.withLock { s -> Bool in
            guard s.nice != nil else { return false }
            s.pids.append(pid)
            return true
        }
        if active { apply() }
    }

    private func apply() {
        let (nice, pids) = state.withLock { ($0.nice, $0.pids) }
        guard let nice else { return }
        let which = __priority_which_t(PRIO_PROCESS.rawValue)
        for pid in pids {
            let base = pid == 0 ? "/proc/self/task" : "/proc/\(pid)/task"
            for t in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] {
                guard let tid = UInt32(t) else { continue }
                errno = 0
                if getpriority(which, tid) != nice || errno != 0 { _ = setpriority(which, tid, nice) }
            }
        }
    }
}

/// The one keeper (`--priority`).
let priorityKeeper = PriorityKeeper()

/// Readings from /proc for one process (or this one: pid 0 means "self").
struct ProcReader: Sendable {
    let pid: Int32

    private var base: String { pid == 0 ? "/proc/self" : "/proc/\(pid)" }
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// utime + stime of the whole process, in seconds.
    var cpuSeconds: Double { Self.cpu(statFile: base + "/stat") ?? .nan }

    /// One thread's name, CPU seconds (utime+stime) and seconds spent runnable but waiting
    /// for a CPU (schedstat; how starved it was on a shared machine).
    struct ThreadTimes {
        var name: String
        var cpu: Double
        var waited: Double
    }

    /// Every thread's times, by thread id.
    var threadTimes: [Int32: ThreadTimes] {
        var out: [Int32: ThreadTimes] = [:]
        guard let tids = try? FileManager.default.contentsOfDirectory(atPath: base + "/task") else { return [:] }
        for t in tids {
            guard let tid = Int32(t), let text = Self.read(base + "/task/\(t)/stat"),
                  let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"),
                  let seconds = Self.cpu(text: text) else { continue }
            let sched = Self.read(base + "/task/\(t)/schedstat")?.split(separator: " ") ?? []
            let waited = sched.count >= 2 ? (Double(sched[1]) ?? 0) / 1e9 : 0
            out[tid] = ThreadTimes(name: String(text[text.index(after: open)..<close]), cpu: seconds, waited: waited)
        }
        return out
    }

    /// `VmRSS` in bytes.
    var rss: Int { status("VmRSS") }
    /// `VmHWM` (peak RSS since start or since `resetPeak()`) in bytes.
    var peakRSS: Int { status("VmHWM") }

    /// Resets `VmHWM` to the current RSS (`echo 5 > /proc/PID/clear_refs`); false when refused.
    @discardableResult
    func resetPeak() -> Bool {
        let fd = open(base + "/clear_refs", O_WRONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, "5", 1) == 1
    }

    var isAlive: Bool { pid == 0 || kill(pid, 0) == 0 }

    private func status(_ key: String) -> Int {
        guard let text = Self.read(base + "/status") else { return -1 }
        for line in text.split(separator: "\n") where line.hasPrefix(key + ":") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count >= 2, let kb = Int(parts[1]) { return kb * 1024 }
        }
        return -1
    }

    private static func cpu(statFile: String) -> Double? {
        read(statFile).flatMap { cpu(text: $0) }
    }

    /// Fields 14 and 15 (utime, stime) of a stat line; the name in parentheses may hold spaces.
    private static func cpu(text: String) -> Double? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let u = Double(fields[11]), let s = Double(fields[12]) else { return nil }
        return (u + s) / ticksPerSecond
    }

    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 4096) }
            if n <= 0 { break }
            out += chunk[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// CPU used by several processes over a window, as shares of one core.
struct CPUWindow {
    let readers: [ProcReader]
    private let start: [Double]
    private let startTime = monotonicNanos()

    init(_ readers: [ProcReader]) {
        self.readers = readers
        start = readers.map(\.cpuSeconds)
    }

    /// CPU seconds ÷ wall seconds for each process, in `readers` order (1.0 = one core).
    func shares() -> [Double] {
        let wall = Double(monotonicNanos() - startTime) / 1e9
        return zip(readers, start).map { ($0.cpuSeconds - $1) / wall }
    }
}

/// Per-thread CPU of one process over a window, grouped by thread name (`top -H`), with the
/// time those threads were runnable but waited for a CPU.
struct ThreadCPUWindow {
    let reader: ProcReader
    private let start: [Int32: ProcReader.ThreadTimes]
    private let startTime = monotonicNanos()

    init(_ reader: ProcReader) {
        self.reader = reader
        start = reader.threadTimes
    }

    /// `name ×count CPU% (waited W%)` for the busiest thread groups, busiest first.
    func summary(top: Int = 6) -> String {
        let wall = Double(monotonicNanos() - startTime) / 1e9
        var byName: [String: (count: Int, cpu: Double, waited: Double)] = [:]
        for (tid, now) in reader.threadTimes {
            let used = now.cpu - (start[tid]?.cpu ?? 0)
            guard used > 0 else { continue }
            let waited = now.waited - (start[tid]?.waited ?? 0)
            byName[now.name, default: (0, 0, 0)].count += 1
            byName[now.name, default: (0, 0, 0)].cpu += used
            byName[now.name, default: (0, 0, 0)].waited += waited
        }
        let sorted = byName.sorted { $0.value.cpu > $1.value.cpu }.prefix(top)
        return sorted.map {
            "\($0.key)\($0.value.count > 1 ? " ×\($0.value.count)" : "") \(percent($0.value.cpu / wall)) (waited \(percent($0.value.waited / wall)))"
        }.joined(separator: ", ")
    }
}

/// Samples a process's RSS on a background thread (the peak between `start` and `stop`).
final class RSSSampler: Sendable {
    private let reader: ProcReader
    private let state = Mutex<(running: Bool, peak: Int)>((false, 0))
    private let finished = DispatchSemaphore(value: 0)

    init(_ reader: ProcReader) { self.reader = reader }

    func start(intervalMicros: UInt32 = 5_000) {
        state.withLock { $0 = (true, reader.rss) }
        let thread = Thread { [self] in
            nameThisThread("rss-sampler")
            while state.withLock({ $0.running }) {
                let r = reader.rss
                state.withLock { $0.peak = max($0.peak, r) }
                usleep(intervalMicros)
            }
            finished.signal()
        }
        thread.start()
    }

    /// Stops sampling; returns the highest RSS seen.
    func stop() -> Int {
        state.withLock { $0.running = false }
        finished.wait()
        return state.withLock { max($0.peak, reader.rss) }
    }
}

/// A process this benchmark started: itself in a child mode (simulator, gateway) or a tool
/// (wrk). Its stdin is a pipe; closing it (or this process dying) tells our own child modes
/// to shut down.
final class ChildProcess {
    let process = Process()
    let label: String
    private let stdinPipe = Pipe()
    private let stdoutPipe = Pipe()
    private var stdoutBuffer: [UInt8] = []

    /// Starts `executable` with `arguments`; its stderr is ours.
    init(label: String, executable: String, arguments: [String]) throws {
        self.label = label
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        process.standardError = FileHandle.standardError
        do {
            try process.run()
        } catch {
            throw BenchmarkError("cannot start \(label) (\(executable)): \(error)")
        }
        priorityKeeper.track(process.processIdentifier)
    }

    /// This benchmark binary in one of its child modes (`ChildMode`).
    /// `VPPGW_BENCH_WRAP_GATEWAY` / `VPPGW_BENCH_WRAP_SIMULATOR` (a command line such as
    /// `valgrind --tool=massif`) run that child under a profiler.
    static func selfMode(_ label: String, _ arguments: [String]) throws -> ChildProcess {
        let wrapper = ProcessInfo.processInfo.environment["VPPGW_BENCH_WRAP_\(label.uppercased())"]?
            .split(separator: " ").map(String.init) ?? []
        guard let tool = wrapper.first else {
            return try ChildProcess(label: label, executable: selfExecutable, arguments: arguments)
        }
        let path = tool.hasPrefix("/") ? tool : "/usr/bin/env"
        let prefix = tool.hasPrefix("/") ? Array(wrapper.dropFirst()) : wrapper
        return try ChildProcess(label: label, executable: path, arguments: prefix + [selfExecutable] + arguments)
    }

    static var selfExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    var pid: Int32 { process.processIdentifier }
    var proc: ProcReader { ProcReader(pid: pid) }

    /// The next line the child prints on stdout (nil at EOF).
    func readLine() -> String? {
        let fd = stdoutPipe.fileHandleForReading.fileDescriptor
        while true {
            if let nl = stdoutBuffer.firstIndex(of: 10) {
                let line = String(decoding: stdoutBuffer[..<nl], as: UTF8.self)
                stdoutBuffer.removeSubrange(...nl)
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 4096) }
            if n <= 0 { return nil }
            stdoutBuffer += chunk[0..<n]
        }
    }

    /// Waits for the child's `ready …` line; returns the words after `ready`.
    func waitReady() throws -> [String] {
        while let line = readLine() {
            let words = line.split(separator: " ").map(String.init)
            if words.first == "ready" { return Array(words.dropFirst()) }
        }
        process.waitUntilExit()
        throw BenchmarkError("\(label) exited before it was ready (status \(process.terminationStatus))")
    }

    /// Everything the child printed on stdout until it exits (for wrk).
    func readAll() -> String {
        var lines: [String] = []
        while let l = readLine() { lines.append(l) }
        process.waitUntilExit()
        return lines.joined(separator: "\n")
    }

    /// Writes to the child's stdin (our child modes: `m` prints malloc statistics).
    func send(_ text: String) {
        try? stdinPipe.fileHandleForWriting.write(contentsOf: Data(text.utf8))
    }

    /// Closes its stdin (our child modes then shut down) and waits up to `timeout` seconds,
    /// then SIGKILLs.
    func stop(timeout: Double = 5) {
        try? stdinPipe.fileHandleForWriting.close()
        let deadline = monotonicNanos() + UInt64(timeout * 1e9)
        while process.isRunning && monotonicNanos() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(pid, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { if process.isRunning { stop(timeout: 2) } }
}

/// `12.3 %` of one core.
func percent(_ share: Double) -> String {
    guard share.isFinite else { return "n/a" }
    return "\(fixed(share * 100, share < 0.1 ? 1 : 0)) %"
}

/// `123.4 MB` (10^6 bytes).
func megabytes(_ bytes: Int) -> String {
    bytes < 0 ? "n/a" : "\(fixed(Double(bytes) / 1e6, 1)) MB"
}

/// The value at quantile `q` (0…1) of sorted values (nearest rank).
func quantile<T: BinaryInteger>(_ sorted: [T], _ q: Double) -> T? {
    guard !sorted.isEmpty else { return nil }
    let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

/// A scratch folder for sockets, removed when the section ends.
final class ScratchDirectory {
    let path: String

    init(_ tag: String) throws {
        let p = "/tmp/vpp-bench-\(tag)-\(getpid())"
        try? FileManager.default.removeItem(atPath: p)
        try FileManager.default.createDirectory(atPath: p, withIntermediateDirectories: true)
        path = p
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
