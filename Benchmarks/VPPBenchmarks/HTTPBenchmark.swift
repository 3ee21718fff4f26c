import Foundation
import VPPClient
import VPPJSON

/// `vpp-benchmarks http`: the gateway's `POST /v1/show_version` under wrk (64 keep-alive
/// connections) beside the same calls made directly with VPPClient (64 callers), and a
/// 10,000-interface `GET /v1/sw_interface_dump` beside the direct dump; the simulator, each
/// gateway and wrk are separate processes, so CPU and memory are read per process.
struct HTTPBenchmark {
    let options: BenchmarkOptions

    static let interfaces = 10_000
    static let connections = 64
    static let targetRate = 40_000.0
    static let targetRatio = 0.5

    /// One gateway process under test.
    struct GatewayUnderTest {
        let label: String
        let threads: Int
        let child: ChildProcess
        let port: UInt16
    }

    struct CallRun {
        var rate = 0.0
        var p50 = 0.0
        var p99 = 0.0
        var errors = 0
        /// CPU shares of one core: gateway (0 for direct), simulator, load generator.
        var gatewayCPU = 0.0
        var simulatorCPU = 0.0
        var loadCPU = 0.0
        var threads = ""
    }

    struct DumpRun {
        var lastByte = 0.0
        var firstByte = 0.0
        var bytes = 0
        var details = 0
        var peakGrowth = 0
        var peak = 0
        var gatewayCPUSeconds = 0.0
    }

    func run() throws -> Bool {
        let rounds = options.roundsExplicit ? options.rounds : 3
        let slice = max(1, Int((options.sliceSeconds ?? 4).rounded()))
        let scratch = try ScratchDirectory("http")
        let socket = scratch.path + "/api.sock"
        guard Wrk.path != nil else { throw BenchmarkError("wrk is not installed (apt-get install -y wrk; Benchmarks/run.sh does this)") }
        let script = try Wrk.postScript(body: "{}", in: scratch.path)

        progress("starting the simulator (\(grouped(Double(Self.interfaces))) loopbacks) and two gateways as their own processes")
        let sim = try ChildProcess.selfMode("simulator", ["_simulator", "--socket", socket, "--interfaces", "\(Self.interfaces)"])
        defer { sim.stop() }
        _ = try sim.waitReady()
        var gateways: [GatewayUnderTest] = []
        defer { for g in gateways { g.child.stop() } }
        for (label, threads) in [("gateway, 1 polling thread (default)", 0), ("gateway, threadPoolSize 2", 2)] {
            let child = try ChildProcess.selfMode("gateway", ["_gateway", "--socket", socket, "--threads", "\(threads)"])
            gateways.append(GatewayUnderTest(label: label, threads: threads, child: child, port: 0))
            guard let p = try child.waitReady().first.flatMap({ UInt16($0) }) else { throw BenchmarkError("the gateway did not say its port") }
            gateways[gateways.count - 1] = GatewayUnderTest(label: label, threads: threads, child: child, port: p)
        }
        let client = try DirectClient.connect(socket)
        defer { DirectClient.shutdown(client) }
        let me = ProcReader(pid: 0)
        let simProc = sim.proc

        // Sanity: the route answers 200 with the reply.
        for g in gateways {
            let probe = try HTTPGet.get(port: g.port, path: "/v1/show_version")
            guard probe.status == 200, String(decoding: probe.body, as: UTF8.self).contains("26.06") else {
                throw BenchmarkError("\(g.label): GET /v1/show_version answered \(probe.status): \(String(decoding: probe.body.prefix(300), as: UTF8.self))")
            }
        }

        // Dumps first (the gateways' peak RSS is then the dump's): HTTP per gateway, then direct.
        progress("warming up the dumps")
        for g in gateways { _ = try httpDump(g) }
        _ = try DirectClient.dump(client, style: .jsonArray)
        var httpDumps = gateways.map { _ in [DumpRun]() }
        var directDumps: [DumpRun] = []
        var dumpBytesMatch = true
        for r in 0..<max(rounds, 3) {
            progress("dumps, round \(r + 1) of \(max(rounds, 3))")
            for (i, g) in gateways.enumerated() {
                httpDumps[i].append(try httpDump(g))
            }
            let window = CPUWindow([me])
            let d = try DirectClient.dump(client, style: .jsonArray)
            var run = DumpRun(lastByte: d.seconds, firstByte: .nan, bytes: d.jsonBytes, details: d.details)
            run.gatewayCPUSeconds = window.shares()[0] * d.seconds
            directDumps.append(run)
            if httpDumps.contains(where: { $0.last?.bytes != d.jsonBytes }) { dumpBytesMatch = false }
        }

        // show_version: per round, each gateway under wrk and the direct client, alternating.
        progress("warming up show_version")
        for g in gateways { _ = try Wrk.run(url: "http://127.0.0.1:\(g.port)/v1/show_version", seconds: 1, script: script) }
        _ = try DirectClient.roundTrips(client, callers: Self.connections, seconds: 0.5)
        var httpCalls = gateways.map { _ in [CallRun]() }
        var directCalls: [CallRun] = []
        var floorCalls: [CallRun] = []
        var floorRatios: [Double] = []
        var ratios = gateways.map { _ in [Double]() }
        for r in 0..<rounds {
            progress("show_version, round \(r + 1) of \(rounds) (\(slice) s per row)")
            var roundRates: [Double] = []
            for (i, g) in gateways.enumerated() {
                if i == 1 {
                    let d = try directRun(client, simProc, me, seconds: Double(slice))
                    directCalls.append(d)
                }
                let window = CPUWindow([g.child.proc, simProc])
                let threads = ThreadCPUWindow(g.child.proc)
                let w = try Wrk.run(url: "http://127.0.0.1:\(g.port)/v1/show_version", connections: Self.connections,
                                    seconds: slice, script: script)
                let shares = window.shares()
                httpCalls[i].append(CallRun(rate: w.rate, p50: w.p50, p99: w.p99, errors: w.non2xx,
                                            gatewayCPU: shares[0], simulatorCPU: shares[1], loadCPU: w.cpuShare,
                                            threads: threads.summary()))
                if !w.socketErrors.isEmpty { progress("\(g.label): wrk socket errors: \(w.socketErrors)") }
                roundRates.append(w.rate)
                if i == 0 { floorCalls.append(try floorRun(g, simProc, seconds: slice)) }
            }
            if let direct = directCalls.last?.rate {
                for i in gateways.indices { ratios[i].append(roundRates[i] / direct) }
                if let floor = floorCalls.last?.rate { floorRatios.append(floor / direct) }
            }
        }

        // Report.
        print("## HTTP: gateway vs direct VPPClient")
        print("")
        print(Machine.summary)
        print("Processes: simulator (built-in 26.06 definitions, local0 + \(grouped(Double(Self.interfaces))) loopbacks), two gateways "
              + "(threadPoolSize 0 and 2) on it, wrk 4.x (-t2 -c\(Self.connections) --latency, POST body `{}` by a Lua script); "
              + "the direct VPPClient (\(Self.connections) concurrent callers, `call(\"show_version\", json: \"{}\")`) runs in this process. "
              + "\(rounds) round\(rounds == 1 ? "" : "s") of: gateway A, its /healthz, direct, gateway B, \(slice) s each; medians. "
              + "CPU: share of one core (2 cores = 200 %).")
        print("")
        var t = Table([
            ("POST /v1/show_version", .left), ("requests/s", .right), ("p50", .right), ("p99", .right),
            ("vs direct", .right), ("non-200", .right), ("gateway CPU", .right), ("simulator CPU", .right),
            ("wrk / caller CPU", .right), ("gateway CPU µs/req", .right),
        ])
        for (i, g) in gateways.enumerated() {
            let runs = httpCalls[i]
            t.add([
                g.label, grouped(median(runs.map(\.rate))), micros(median(runs.map(\.p50))), micros(median(runs.map(\.p99))),
                "\(fixed(median(ratios[i]) * 100, 0)) %", "\(runs.reduce(0) { $0 + $1.errors })",
                percent(median(runs.map(\.gatewayCPU))), percent(median(runs.map(\.simulatorCPU))),
                percent(median(runs.map(\.loadCPU))),
                fixed(median(runs.map { $0.gatewayCPU / $0.rate * 1e6 }), 1),
            ])
        }
        t.add([
            "HTTP ceiling: GET /healthz, 1 polling thread", grouped(median(floorCalls.map(\.rate))),
            micros(median(floorCalls.map(\.p50))), micros(median(floorCalls.map(\.p99))),
            "\(fixed(median(floorRatios) * 100, 0)) %", "\(floorCalls.reduce(0) { $0 + $1.errors })",
            percent(median(floorCalls.map(\.gatewayCPU))), percent(median(floorCalls.map(\.simulatorCPU))),
            percent(median(floorCalls.map(\.loadCPU))), fixed(median(floorCalls.map { $0.gatewayCPU / $0.rate * 1e6 }), 1),
        ])
        t.add([
            "direct VPPClient, \(Self.connections) callers", grouped(median(directCalls.map(\.rate))),
            micros(median(directCalls.map(\.p50))), micros(median(directCalls.map(\.p99))), "100 %",
            "\(directCalls.reduce(0) { $0 + $1.errors })", "–", percent(median(directCalls.map(\.simulatorCPU))),
            percent(median(directCalls.map(\.loadCPU))), "–",
        ])
        print(t.render())
        print("")
        print("HTTP ceiling: the first gateway answering `GET /healthz` on its polling thread (no VPP call, no suspend/resume), under "
              + "the same wrk load right after its show_version row: what the HTTP layer alone (libmicrohttpd, the kernel's TCP, wrk) allows "
              + "on this machine, an upper bound for any endpoint.")
        print("")
        print("Gateway threads under wrk (last round, share of one core, `top -H` style: CPU, and in parentheses the time runnable but waiting for a CPU; `oot.default-qos` are Swift's cooperative pool, `r-initiated-qos` Foundation threads (the VPP socket reader)):")
        for (i, g) in gateways.enumerated() { print("- \(g.label): \(httpCalls[i].last?.threads ?? "n/a")") }
        print("")

        var d = Table([
            ("sw_interface_dump", .left), ("details", .right), ("JSON", .right), ("first byte", .right),
            ("last byte", .right), ("vs direct", .right), ("MB/s", .right), ("gateway CPU", .right),
            ("gateway peak RSS", .right), ("growth", .right),
        ])
        let direct = median(directDumps.map(\.lastByte))
        for (i, g) in gateways.enumerated() {
            let runs = httpDumps[i]
            let last = median(runs.map(\.lastByte))
            d.add([
                "GET over HTTP, \(g.label)", grouped(Double(runs.last?.details ?? 0)), megabytes(runs.last?.bytes ?? -1),
                millis(median(runs.map(\.firstByte))), millis(last), "\(fixed(direct / last * 100, 0)) %",
                fixed(Double(runs.last?.bytes ?? 0) / last / 1e6, 1), millis(median(runs.map(\.gatewayCPUSeconds))),
                megabytes(runs.map(\.peak).max() ?? -1), megabytes(Int(median(runs.map { Double($0.peakGrowth) }))),
            ])
        }
        d.add([
            "direct VPPClient, next(appendingTo:)", grouped(Double(directDumps.last?.details ?? 0)),
            megabytes(directDumps.last?.bytes ?? -1), "–", millis(direct), "100 %",
            fixed(Double(directDumps.last?.bytes ?? 0) / direct / 1e6, 1), "–", "–", "–",
        ])
        print(d.render())
        print("")
        print("Dump over HTTP: a plain socket GET (Connection: close), timed from sending the request to the last byte of the chunked body; "
              + "the body is then de-chunked and parsed as JSON. \"vs direct\": direct time ÷ HTTP time. Gateway CPU: CPU time the gateway "
              + "process used during the GET. Peak RSS: VmHWM of the gateway process, reset (clear_refs) before each GET; growth: VmHWM − VmRSS before.")
        print("")

        print("Targets (on \(Machine.cores) cores, gateway, simulator and wrk sharing them):")
        var met = false
        for (i, g) in gateways.enumerated() {
            let rate = median(httpCalls[i].map(\.rate))
            let ratio = median(ratios[i])
            let a = target(rate >= Self.targetRate, "\(g.label): ≥ \(grouped(Self.targetRate)) requests/s (\(grouped(rate)))")
            let b = target(ratio >= Self.targetRatio, "\(g.label): ≥ \(fixed(Self.targetRatio * 100, 0)) % of the direct client's rate (\(fixed(ratio * 100, 0)) %)")
            met = met || (a && b)
        }
        let clean = httpCalls.allSatisfy { $0.allSatisfy { $0.errors == 0 } } && directCalls.allSatisfy { $0.errors == 0 }
        let complete = httpDumps.allSatisfy { $0.allSatisfy { $0.details == Self.interfaces + 1 } }
        met = target(clean, "every response 200, every direct call retval 0") && met
        met = target(complete && dumpBytesMatch, "every HTTP dump held \(grouped(Double(Self.interfaces + 1))) details, as many JSON bytes as the direct client's") && met
        print("(The throughput targets count as met when one of the two gateway configurations meets both.)")
        return met
    }

    /// `GET /healthz` on gateway `g` under the same wrk load: the HTTP layer's ceiling.
    private func floorRun(_ g: GatewayUnderTest, _ simProc: ProcReader, seconds: Int) throws -> CallRun {
        let window = CPUWindow([g.child.proc, simProc])
        let w = try Wrk.run(url: "http://127.0.0.1:\(g.port)/healthz", connections: Self.connections, seconds: seconds, script: nil)
        let shares = window.shares()
        return CallRun(rate: w.rate, p50: w.p50, p99: w.p99, errors: w.non2xx, gatewayCPU: shares[0],
                       simulatorCPU: shares[1], loadCPU: w.cpuShare)
    }

    private func directRun(_ client: VPPClient, _ simProc: ProcReader, _ me: ProcReader, seconds: Double) throws -> CallRun {
        let window = CPUWindow([me, simProc])
        let r = try DirectClient.roundTrips(client, callers: Self.connections, seconds: seconds)
        let shares = window.shares()
        return CallRun(rate: r.rate, p50: r.p50, p99: r.p99, errors: r.errors,
                       gatewayCPU: 0, simulatorCPU: shares[1], loadCPU: shares[0])
    }

    private func httpDump(_ g: GatewayUnderTest) throws -> DumpRun {
        let proc = g.child.proc
        let before = proc.rss
        let resettable = proc.resetPeak()
        let sampler = resettable ? nil : RSSSampler(proc)
        sampler?.start()
        let cpuBefore = proc.cpuSeconds
        let response = try HTTPGet.get(port: g.port, path: "/v1/sw_interface_dump")
        let cpu = proc.cpuSeconds - cpuBefore
        let peak = sampler?.stop() ?? proc.peakRSS
        guard response.status == 200 else {
            throw BenchmarkError("\(g.label): GET /v1/sw_interface_dump answered \(response.status)")
        }
        var details = -1
        if case .array(let items)? = try? JSONParser.parse(response.body) { details = items.count }
        return DumpRun(lastByte: response.lastByte, firstByte: response.firstByte, bytes: response.body.count,
                       details: details, peakGrowth: peak - before, peak: peak, gatewayCPUSeconds: cpu)
    }

    private func progress(_ s: String) {
        printError("[http] \(s)")
    }
}
