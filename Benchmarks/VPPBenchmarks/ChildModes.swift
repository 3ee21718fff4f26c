#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Gateway
import HTTPServer
import Logging
import VPPClient
import VPPSimulator

/// The processes the client, http and sse sections start: this same binary, run as
///
///     vpp-benchmarks _simulator --socket PATH --interfaces N
///     vpp-benchmarks _fanout          (RawFanout; stdin lines `e SEQ` emit an event)
///     vpp-benchmarks _gateway --socket PATH [--threads N] [--connection-limit N]
///                             [--connection-memory-limit BYTES] [--sse-queue-bytes BYTES]
///
/// so that each one's CPU time and memory can be read from /proc separately. Each prints
/// `ready …` on stdout once it serves (the gateway adds its port) and shuts down cleanly when
/// its stdin closes (the benchmark ends or dies).
enum ChildMode {
    /// Runs a child mode when `args` names one; returns its exit status, or nil.
    static func runIfChild(_ args: [String]) -> Int32? {
        guard let mode = args.first, mode.hasPrefix("_") else { return nil }
        raiseFileLimit()
        var options: [String: String] = [:]
        var i = 1
        while i + 1 < args.count {
            options[args[i]] = args[i + 1]
            i += 2
        }
        do {
            switch mode {
            case "_simulator": try simulator(options)
            case "_gateway": try gateway(options)
            case "_fanout": try fanout()
            default:
                printError("vpp-benchmarks: unknown child mode \(mode)")
                return 64
            }
            return 0
        } catch {
            printError("vpp-benchmarks \(mode): \(error)")
            return 1
        }
    }

    /// Loggers that only say something when it matters, on stderr (stdout carries `ready`).
    static func quietLogger(_ label: String) -> Logger {
        var logger = Logger(label: label) { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        return logger
    }

    private static func simulator(_ options: [String: String]) throws {
        guard let socket = options["--socket"] else { throw BenchmarkError("_simulator needs --socket") }
        let interfaces = Int(options["--interfaces"] ?? "0") ?? 0
        let sim = try VPPSimulator(configuration: SimulatorConfiguration(socketPath: socket, interfaces: interfaces),
                                   logger: quietLogger("bench-simulator"))
        try sim.start()
        announce("ready")
        waitForStdinEOF()
        try runBlocking { await sim.stop() }
    }

    private static func gateway(_ options: [String: String]) throws {
        guard let socket = options["--socket"] else { throw BenchmarkError("_gateway needs --socket") }
        var config = GatewayConfiguration()
        config.http.host = "127.0.0.1"
        config.http.port = 0
        config.http.threadPoolSize = Int(options["--threads"] ?? "0") ?? 0
        config.http.streamWriterThreads = Int(options["--writers"] ?? "") ?? config.http.streamWriterThreads
        config.http.connectionLimit = Int(options["--connection-limit"] ?? "") ?? config.http.connectionLimit
        config.http.connectionMemoryLimit = Int(options["--connection-memory-limit"] ?? "") ?? config.http.connectionMemoryLimit
        config.sseQueueBytes = Int(options["--sse-queue-bytes"] ?? "") ?? config.sseQueueBytes
        config.client.socketPath = socket
        config.client.apiDirectories = []
        let logger = quietLogger("bench-gateway")
        let gateway = Gateway(configuration: config, offlineSchema: nil, logger: logger)
        let port = try runBlocking { try await gateway.start() }
        // Serve only once VPP (the simulator) is connected, so the first timed request works.
        let deadline = monotonicNanos() + 30_000_000_000
        while gateway.client.session == nil {
            guard monotonicNanos() < deadline else { throw BenchmarkError("the gateway did not connect to \(socket)") }
            usleep(10_000)
        }
        announce("ready \(port)")
        waitForStdinEOF()
        try runBlocking { await gateway.shutdown(gracePeriod: .seconds(1)) }
    }

    /// The SSE floor: `RawFanout` in its own process, fed sequence numbers on stdin.
    private static func fanout() throws {
        let raw = try RawFanout()
        raw.start()
        announce("ready \(raw.port)")
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            pending += buffer[0..<n]
            while let nl = pending.firstIndex(of: 10) {
                let line = String(decoding: pending[..<nl], as: UTF8.self)
                pending.removeSubrange(...nl)
                if line.hasPrefix("e "), let seq = Int(line.dropFirst(2)) { raw.emit(seq) }
            }
        }
        raw.stop()
    }

    private static func announce(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Waits for stdin to close. A `m` byte on stdin meanwhile prints glibc's `malloc_stats()`
    /// on stderr (heap in use vs RSS, for memory investigations).
    private static func waitForStdinEOF() {
        var byte: UInt8 = 0
        while true {
            let n = read(0, &byte, 1)
            if n == 0 || (n < 0 && errno != EINTR) { return }
            if n == 1 && byte == UInt8(ascii: "m") { mallocStats() }
        }
    }

    private static func mallocStats() {
        typealias Stats = @convention(c) () -> Void
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "malloc_stats") else { return }
        unsafeBitCast(symbol, to: Stats.self)()
    }
}
