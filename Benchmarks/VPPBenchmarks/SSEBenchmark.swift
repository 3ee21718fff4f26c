#if canImport(Glibc)
import Glibc
#endif
import Foundation
import VPPJSON
import VPPSimulator

/// `vpp-benchmarks sse`: 10,000 SSE subscribers on one registration at 10 events/s.
///
/// The simulator runs in this process (so emit times are known exactly), the gateway in its
/// own process (so its RSS and CPU are its own), and the subscribers are raw sockets on one
/// epoll thread here. Each event carries its sequence number in `sw_if_index`; the delivery
/// latency is the receipt time at a subscriber minus the time just before `emitEvent`.
struct SSEBenchmark {
    let options: BenchmarkOptions

    static let targetP99 = 0.100
    static let targetRSS = 200_000_000

    /// One gateway configuration under test.
    struct Config {
        let label: String
        /// The gateway's `http.streamWriterThreads`; nil: the raw fan-out floor (`RawFanout`), no gateway.
        let writers: Int?
    }

    /// What one configuration's run measured.
    struct Run {
        var config: Config
        var connected = 0
        var failedToConnect = 0
        var connectSeconds = 0.0
        var events = 0
        var report = SSESubscribers.Report()
        var gatewayCPU = 0.0
        var clientCPU = 0.0
        var rssIdle = 0, rssConnected = 0, rssEnd = 0, rssPeak = 0, rssAfter = 0
        var wantsAfterConnect = 0, wantsAtEnd = 0
        var gatewayThreads = "", clientThreads = ""
        var load = ""

        var p99Seconds: Double? { quantile(report.latencies, 0.99).map { Double($0) / 1e6 } }
    }

    func run() throws -> Bool {
        let subscribers = options.subscribers
        let fileLimit = raiseFileLimit()
        guard fileLimit >= subscribers + 64 else {
            throw BenchmarkError("the open-file limit is \(fileLimit), too low for \(subscribers) subscribers (ulimit -n; run.sh raises it)")
        }
        let configs = [Config(label: "gateway (default: 1 stream writer thread)", writers: 1),
                       Config(label: "gateway, streamWriterThreads 0 (libmicrohttpd sends)", writers: 0),
                       Config(label: "floor: one thread write()s each frame", writers: nil)]
        var runs: [Run] = []
        for config in configs {
            runs.append(try runOne(config))
        }

        // Report.
        let first = runs[0]
        func ms(_ value: UInt32?) -> String { value.map { micros(Double($0) / 1e6) } ?? "n/a" }
        print("## SSE fan-out: \(grouped(Double(subscribers))) subscribers, one registration")
        print("")
        print(Machine.summary)
        print("The gateway in its own process (connectionLimit \(subscribers + 2000), other settings default); the simulator "
              + "(built-in 26.06 definitions) and \(grouped(Double(subscribers))) SSE subscribers on raw sockets, served by one epoll thread, "
              + "run in this process. `GET /v1/events/sw_interface_event` per subscriber; \(first.events) events at "
              + "\(fixed(options.eventRate, 1))/s via `VPPSimulator.emitEvent`, each carrying its sequence number in `sw_if_index`; "
              + "latency = receipt at the subscriber − the moment before `emitEvent` (one monotonic clock). "
              + "The configurations run one after the other (two sets of \(grouped(Double(subscribers))) sockets do not fit the fd limit), "
              + "each with a fresh simulator and gateway.")
        print("")
        var t = Table([
            ("gateway", .left), ("subscribers", .right), ("connect", .right), ("deliveries", .right), ("lost", .right),
            ("p50", .right), ("p99", .right), ("max", .right), ("last subscriber p50", .right), ("last subscriber p99", .right),
            ("server CPU", .right), ("this process CPU", .right), ("load avg after", .right),
        ])
        var m = Table([
            ("gateway", .left), ("RSS idle", .right), ("subscribers connected", .right), ("end of events", .right),
            ("peak during events", .right), ("after disconnect", .right), ("per subscriber", .right),
        ])
        for r in runs {
            let lat = r.report.latencies
            let isGateway = r.config.writers != nil
            t.add([
                r.config.label, "\(grouped(Double(r.connected)))\(r.failedToConnect > 0 ? " (+\(r.failedToConnect) failed)" : "")",
                "\(fixed(r.connectSeconds, 1)) s", grouped(Double(lat.count)), grouped(Double(r.report.lost)),
                ms(quantile(lat, 0.50)), ms(quantile(lat, 0.99)), ms(lat.last),
                ms(quantile(r.report.completion, 0.5)), ms(quantile(r.report.completion, 0.99)),
                percent(r.gatewayCPU), percent(r.clientCPU), r.load,
            ])
            guard isGateway else { continue }
            m.add([
                r.config.label, megabytes(r.rssIdle), megabytes(r.rssConnected), megabytes(r.rssEnd),
                megabytes(max(r.rssPeak, r.rssEnd)), megabytes(r.rssAfter),
                r.connected > 0 ? "\(fixed(Double(r.rssConnected - r.rssIdle) / Double(r.connected) / 1024, 1)) KiB" : "n/a",
            ])
        }
        print(t.render())
        print("")
        print(m.render())
        print("")
        print("Last subscriber: per event, the latency of its last delivery (when the fan-out had reached everyone). "
              + "Per subscriber: (RSS connected − RSS idle) ÷ subscribers. \"This process\": the subscribers' epoll thread and the "
              + "simulator. The floor row is the same subscribers served by one thread "
              + "that write()s each chunked frame to every socket in a loop (`vpp-benchmarks _fanout`, its own process, fed sequence numbers "
              + "on a pipe): the kernel's share of the fan-out on this machine. Server CPU: the gateway (or floor) process.")
        for r in runs {
            let x = r.report
            print("- \(r.config.label): control lines \(x.overflowEvents) overflow, \(x.otherControl) other, \(x.heartbeats) heartbeats; "
                  + "duplicates \(x.duplicates), out of order \(x.outOfOrder), unknown ids \(x.unknownSequence), "
                  + "subscribers with loss \(x.subscribersWithLoss), connections failed or ended \(x.failedConnections); "
                  + "\(megabytes(x.bytes)) read"
                  + (r.config.writers == nil ? "." : "; want_interface_events received by the simulator: \(r.wantsAfterConnect) after connecting, "
                     + "\(r.wantsAtEnd) at the end of the events."))
            print("  Threads during the events (share of one core: CPU, and in parentheses the time runnable but waiting for a CPU): "
                  + "\(r.config.writers == nil ? "floor" : "gateway"): \(r.gatewayThreads); this process: \(r.clientThreads).")
        }
        print("")
        print("Targets (the default configuration; the other rows are for comparison):")
        var met = true
        let d = runs[0]
        met = target(d.connected == subscribers, "all \(grouped(Double(subscribers))) subscribers connected (\(grouped(Double(d.connected))))") && met
        met = target(d.report.lost == 0 && d.report.overflowEvents == 0,
                     "no event lost (\(d.report.lost) lost, \(d.report.overflowEvents) overflow notices)") && met
        met = target(d.p99Seconds.map { $0 < Self.targetP99 }, "delivery p99 < \(millis(Self.targetP99)) (\(ms(quantile(d.report.latencies, 0.99))))") && met
        met = target(max(d.rssPeak, d.rssEnd) < Self.targetRSS, "gateway RSS < \(megabytes(Self.targetRSS)) (peak \(megabytes(max(d.rssPeak, d.rssEnd))))") && met
        met = target(d.wantsAtEnd == 1, "the simulator received exactly one want_interface_events (\(d.wantsAtEnd))") && met
        return met
    }

    private func runOne(_ config: Config) throws -> Run {
        let subscribers = options.subscribers
        let rate = options.eventRate
        let events = max(1, Int((options.sseSeconds * rate).rounded()))
        var run = Run(config: config, events: events)
        let scratch = try ScratchDirectory("sse")
        let socket = scratch.path + "/api.sock"

        var sim: VPPSimulator?
        var gateway: ChildProcess?
        defer {
            gateway?.stop()
            if let sim { _ = try? runBlocking { await sim.stop() } }
        }
        let port: UInt16
        var gw = ProcReader(pid: -1)
        let mallocStats = ProcessInfo.processInfo.environment["VPPGW_BENCH_MALLOC_STATS"] != nil
        if let writers = config.writers {
            progress("\(config.label): starting the simulator (in this process) and the gateway (its own process)")
            let s = try VPPSimulator(configuration: SimulatorConfiguration(socketPath: socket, interfaces: 4),
                                     logger: ChildMode.quietLogger("bench-simulator"))
            try s.start()
            sim = s
            var gatewayArgs = ["_gateway", "--socket", socket, "--writers", "\(writers)", "--connection-limit", "\(subscribers + 2000)"]
            if let extra = ProcessInfo.processInfo.environment["VPPGW_BENCH_GATEWAY_ARGS"], !extra.isEmpty {
                gatewayArgs += extra.split(separator: " ").map(String.init)   // experiments: e.g. --connection-memory-limit 8192
            }
            let child = try ChildProcess.selfMode("gateway", gatewayArgs)
            gateway = child
            guard let p = try child.waitReady().first.flatMap({ UInt16($0) }) else { throw BenchmarkError("the gateway did not say its port") }
            port = p
            gw = child.proc
            usleep(300_000)
            run.rssIdle = gw.rss
            if mallocStats { child.send("m"); usleep(200_000) }
        } else {
            progress("\(config.label): starting the raw fan-out (its own process)")
            let child = try ChildProcess.selfMode("fanout", ["_fanout"])
            gateway = child
            guard let p = try child.waitReady().first.flatMap({ UInt16($0) }) else { throw BenchmarkError("the fan-out did not say its port") }
            port = p
            gw = child.proc
            run.rssIdle = gw.rss
        }
        let me = ProcReader(pid: 0)

        // Connect every subscriber.
        let clock = EmitClock(events: events)
        let subs = SSESubscribers(count: subscribers, port: port, path: "/v1/events/sw_interface_event",
                                  expectedEvents: events, clock: clock)
        progress("\(config.label): connecting \(subscribers) subscribers")
        let connectStart = monotonicNanos()
        subs.start()
        var lastProgress = connectStart
        while true {
            let ok = subs.subscribed.load(ordering: .relaxed)
            let bad = subs.failed.load(ordering: .relaxed)
            if ok + bad >= subscribers { break }
            let now = monotonicNanos()
            if now - connectStart > 120_000_000_000 { break }
            if now - lastProgress > 2_000_000_000 {
                progress("\(ok) subscribed, \(bad) failed")
                lastProgress = now
            }
            usleep(10_000)
        }
        run.connectSeconds = Double(monotonicNanos() - connectStart) / 1e9
        run.connected = subs.subscribed.load(ordering: .relaxed)
        run.failedToConnect = subs.failed.load(ordering: .relaxed)
        progress("\(run.connected) subscribed in \(fixed(run.connectSeconds, 1)) s, \(run.failedToConnect) failed")
        usleep(1_000_000)
        run.rssConnected = gw.rss
        if mallocStats { gateway?.send("m"); usleep(200_000) }
        run.wantsAfterConnect = sim?.receivedCount("want_interface_events") ?? -1

        // Emit at the rate; the emit time of each sequence number is recorded just before.
        let payloads = try (0..<events).map { try JSONParser.parse(Array("{\"sw_if_index\":\($0),\"deleted\":false}".utf8)) }
        gw.resetPeak()
        let cpu = CPUWindow([gw, me])
        let gwThreads = ThreadCPUWindow(gw)
        let myThreads = ThreadCPUWindow(me)
        progress("\(config.label): emitting \(events) sw_interface_event at \(fixed(rate, 1))/s to \(run.connected) subscribers")
        let period = UInt64(1e9 / rate)
        let emitStart = monotonicNanos() + 100_000_000
        var rssSamples: [Int] = []
        for seq in 0..<events {
            let due = emitStart + UInt64(seq) * period
            let now = monotonicNanos()
            if due > now { usleep(UInt32((due - now) / 1000)) }
            clock.record(seq, at: monotonicNanos())
            if let sim { try sim.emitEvent("sw_interface_event", payloads[seq]) } else { gateway?.send("e \(seq)\n") }
            if seq % Int(max(rate, 1)) == 0 { rssSamples.append(gw.rss) }
        }
        // Let the last event reach everyone: wait while deliveries still arrive (late is not lost),
        // giving up after 3 s without progress.
        let expectedTotal = run.connected * events
        var seen = subs.eventsReceived.load(ordering: .relaxed)
        var lastChange = monotonicNanos()
        while seen < expectedTotal && monotonicNanos() - lastChange < 3_000_000_000 {
            usleep(5_000)
            let now = subs.eventsReceived.load(ordering: .relaxed)
            if now != seen { seen = now; lastChange = monotonicNanos() }
        }
        let shares = cpu.shares()
        run.gatewayCPU = shares[0]
        run.clientCPU = shares[1]
        run.gatewayThreads = gwThreads.summary()
        run.clientThreads = myThreads.summary()
        run.rssEnd = gw.rss
        run.rssPeak = max(gw.peakRSS, rssSamples.max() ?? 0)
        run.wantsAtEnd = sim?.receivedCount("want_interface_events") ?? -1
        run.load = Machine.loadAverage.split(separator: " ").first.map(String.init) ?? "n/a"

        progress("\(config.label): closing the subscribers")
        run.report = subs.stop()
        usleep(1_500_000)
        run.rssAfter = gw.rss
        return run
    }

    private func progress(_ s: String) {
        printError("[sse] \(s)")
    }
}
