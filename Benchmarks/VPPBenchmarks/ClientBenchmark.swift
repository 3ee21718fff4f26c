import Foundation
import VPPClient

/// `vpp-benchmarks client`: VPPClient round trips with 1 and 64 concurrent callers, and one
/// 10,000-interface `sw_interface_dump`, against the simulator running as its own process so
/// that its CPU share is read separately from the client's.
struct ClientBenchmark {
    let options: BenchmarkOptions

    static let interfaces = 10_000
    static let callerCounts = [1, 64]
    /// A simulator above this share of one core may be what limits the figures.
    static let simulatorBottleneckShare = 0.9

    func run() throws -> Bool {
        let rounds = options.rounds
        let slice = options.sliceSeconds ?? 1.0
        let scratch = try ScratchDirectory("client")
        let socket = scratch.path + "/api.sock"
        progress("starting the simulator (\(grouped(Double(Self.interfaces))) loopbacks) as its own process")
        let sim = try ChildProcess.selfMode("simulator", ["_simulator", "--socket", socket, "--interfaces", "\(Self.interfaces)"])
        defer { sim.stop() }
        _ = try sim.waitReady()
        let client = try DirectClient.connect(socket)
        defer { DirectClient.shutdown(client) }
        let me = ProcReader(pid: 0)
        let simProc = sim.proc

        progress("warming up")
        for c in Self.callerCounts { _ = try DirectClient.roundTrips(client, callers: c, seconds: 0.3) }
        for style in DirectClient.DumpStyle.allCases { _ = try DirectClient.dump(client, style: style) }

        // Round trips: 1 and 64 callers alternate, round after round.
        var trips = Self.callerCounts.map { _ in [(result: DirectClient.RoundTrips, cpu: [Double])]() }
        for r in 0..<rounds {
            progress("round trips, round \(r + 1) of \(rounds)")
            for (i, callers) in Self.callerCounts.enumerated() {
                let window = CPUWindow([me, simProc])
                let result = try DirectClient.roundTrips(client, callers: callers, seconds: slice)
                trips[i].append((result, window.shares()))
            }
        }

        // Dumps: the three consumers alternate; the peak RSS is reset before each.
        let styles = DirectClient.DumpStyle.allCases
        var dumps = styles.map { _ in [(dump: DirectClient.Dump, growth: Int, cpu: [Double])]() }
        let peakResettable = me.resetPeak()
        for r in 0..<rounds {
            progress("dumps, round \(r + 1) of \(rounds)")
            for (i, style) in styles.enumerated() {
                releaseFreedMemory()   // what earlier dumps freed must not hide this one's growth
                let before = me.rss
                me.resetPeak()
                let window = CPUWindow([me, simProc])
                let d = try DirectClient.dump(client, style: style)
                let shares = window.shares()
                dumps[i].append((d, me.peakRSS - before, shares))
            }
        }

        // Report.
        print("## VPP client: round trips and a 10,000-interface dump")
        print("")
        print(Machine.summary)
        print("VPPClient in this process; the simulator (built-in 26.06 definitions, local0 + \(grouped(Double(Self.interfaces))) loopbacks) "
              + "in its own process over a Unix socket. \(rounds) round\(rounds == 1 ? "" : "s"); in each, every row runs once "
              + "(round trips ~\(fixed(slice, 1)) s each), rows alternating; medians. CPU: share of one core over the row's window "
              + "(/proc/PID/stat utime+stime), 100 % = one core busy.")
        print("")
        var t = Table([
            ("callers", .right), ("round trips/s", .right), ("p50", .right), ("p99", .right), ("errors", .right),
            ("client CPU", .right), ("simulator CPU", .right), ("client CPU µs/call", .right), ("simulator CPU µs/call", .right),
        ])
        var worstSimShare = 0.0
        for (i, callers) in Self.callerCounts.enumerated() {
            let runs = trips[i]
            let rate = median(runs.map(\.result.rate))
            let clientShare = median(runs.map { $0.cpu[0] })
            let simShare = median(runs.map { $0.cpu[1] })
            worstSimShare = max(worstSimShare, simShare)
            t.add([
                "\(callers)", grouped(rate),
                micros(median(runs.map(\.result.p50))), micros(median(runs.map(\.result.p99))),
                "\(runs.reduce(0) { $0 + $1.result.errors })",
                percent(clientShare), percent(simShare),
                fixed(median(runs.map { $0.cpu[0] / $0.result.rate * 1e6 }), 1),
                fixed(median(runs.map { $0.cpu[1] / $0.result.rate * 1e6 }), 1),
            ])
        }
        print(t.render())
        print("")

        var d = Table([
            ("sw_interface_dump consumer", .left), ("details", .right), ("JSON", .right), ("time", .right),
            ("details/s", .right), ("JSON MB/s", .right), ("peak RSS growth", .right),
            ("client CPU", .right), ("simulator CPU", .right),
        ])
        for (i, style) in styles.enumerated() {
            let runs = dumps[i]
            let seconds = median(runs.map(\.dump.seconds))
            let details = runs.last?.dump.details ?? 0
            let bytes = runs.last?.dump.jsonBytes ?? 0
            let simShare = median(runs.map { $0.cpu[1] })
            worstSimShare = max(worstSimShare, simShare)
            d.add([
                style.rawValue, grouped(Double(details)), megabytes(bytes), millis(seconds),
                grouped(Double(details) / seconds), fixed(Double(bytes) / seconds / 1e6, 1),
                peakResettable ? megabytes(Int(median(runs.map { Double($0.growth) }))) : "n/a",
                percent(median(runs.map { $0.cpu[0] })), percent(simShare),
            ])
        }
        print(d.render())
        print("")
        print("Peak RSS growth: VmHWM after the dump (reset with /proc/self/clear_refs just before) minus VmRSS before it (after malloc_trim), median.")
        print("")

        var met = true
        let expected = Self.interfaces + 1
        let complete = dumps.allSatisfy { $0.allSatisfy { $0.dump.details == expected } }
        let errorFree = trips.allSatisfy { $0.allSatisfy { $0.result.errors == 0 } }
        print("Targets:")
        met = target(worstSimShare < Self.simulatorBottleneckShare,
                     "the simulator is not the bottleneck: its CPU share stays below \(percent(Self.simulatorBottleneckShare)) of a core (highest: \(percent(worstSimShare)))") && met
        met = target(complete, "every dump returned local0 + \(grouped(Double(Self.interfaces))) interfaces (\(grouped(Double(expected))) details)") && met
        met = target(errorFree, "no round trip failed") && met
        return met
    }

    private func progress(_ s: String) {
        printError("[client] \(s)")
    }
}

/// Prints one target line; returns `ok`.
@discardableResult
func target(_ ok: Bool?, _ text: String) -> Bool {
    let mark = ok.map { $0 ? "met   " : "MISSED" } ?? "n/a   "
    print("- \(mark) \(text)")
    return ok ?? true
}

/// Microseconds or milliseconds, whichever reads better.
func micros(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "n/a" }
    if seconds >= 0.01 { return "\(fixed(seconds * 1000, 1)) ms" }
    if seconds >= 0.001 { return "\(fixed(seconds * 1000, 2)) ms" }
    return "\(fixed(seconds * 1e6, 0)) µs"
}
