import ArgumentParser
import Dispatch
import Foundation
import Logging
import VPPSimulator

/// `vpp-gateway simulate`: a VPP API socket without VPP, for demos and for trying the gateway.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a simulated VPP API socket (no VPP needed).",
        discussion: """
            Speaks VPP's binary API socket protocol with real interface state: local0 plus \
            loopbacks, addresses, tags, admin/link state, and sw_interface_event to clients \
            that sent want_interface_events. Without --api-dir it uses built-in VPP 26.06 \
            definitions of the messages it implements; with --api-dir it speaks every message \
            of those files (unimplemented requests get retval -9 UNIMPLEMENTED).

            Examples:
              vpp-gateway simulate --socket /tmp/vpp-api.sock --interfaces 4
              vpp-gateway simulate --socket /tmp/vpp-api.sock --api-dir /usr/share/vpp/api --event-rate 10
            """)

    @Option(help: "Unix socket path to listen on.")
    var socket: String = "/run/vpp/api.sock"

    @Option(name: .customLong("api-dir"), help: "A folder or file of .api.json definitions (repeatable); none = built-in definitions.")
    var apiDirectories: [String] = []

    @Option(help: "Loopbacks to create at start (loop0…).")
    var interfaces: Int = 0

    @Option(name: .customLong("event-rate"), help: "Toggle loopback link states this many times per second, producing sw_interface_event.")
    var eventRate: Double = 0

    @Option(name: .customLong("stream-page-size"), help: "Details per round of a get/stream (cursor) call before -165 EAGAIN.")
    var streamPageSize: Int = 3

    @Flag(help: "Log every client connection and dropped message.")
    var verbose = false

    func validate() throws {
        guard interfaces >= 0, interfaces <= 1_000_000 else { throw ValidationError("--interfaces must be between 0 and 1000000") }
        guard eventRate >= 0, eventRate.isFinite else { throw ValidationError("--event-rate must be a non-negative number") }
        guard streamPageSize >= 1 else { throw ValidationError("--stream-page-size must be at least 1") }
    }

    func run() async throws {
        var logger = Logger(label: "vpp-simulator") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = verbose ? .debug : .info
        let config = SimulatorConfiguration(socketPath: socket, apiDirectories: apiDirectories,
                                            interfaces: interfaces, streamPageSize: streamPageSize)
        let simulator: VPPSimulator
        do {
            simulator = try VPPSimulator(configuration: config, logger: logger)
            try simulator.start()
        } catch {
            FileHandle.standardError.write(Data("vpp-gateway simulate: \(error)\n".utf8))
            throw ExitCode(1)
        }
        if eventRate > 0 { simulator.toggleLinks(ratePerSecond: eventRate) }
        let signal = await Self.waitForTermination()
        logger.info("stopping on \(signal)")
        await simulator.stop()
    }

    /// Suspends until SIGINT or SIGTERM arrives; returns its name.
    private static func waitForTermination() async -> String {
        let (stream, continuation) = AsyncStream<String>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for (number, name) in [(SIGINT, "SIGINT"), (SIGTERM, "SIGTERM")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(name) }
            source.resume()
            sources.append(source)
        }
        var received = "signal"
        for await name in stream {
            received = name
            break
        }
        for s in sources { s.cancel() }
        return received
    }
}
