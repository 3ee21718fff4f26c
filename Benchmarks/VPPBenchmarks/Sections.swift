import Foundation

/// A benchmark section: one table (or a few) on one subject.
///
/// To add a section: add a case here, give it a summary, and call its runner from `run(_:)`. It returns whether its targets were met (`--strict`
/// turns a miss into exit status 2). Options shared by sections live in `BenchmarkOptions`.
enum Section: String, CaseIterable, Sendable {
    case codec
    case client
    case http
    case sse

    /// One line for `--help`.
    var summary: String {
        switch self {
        case .codec:
            "binary <-> JSON codec throughput vs vpp_papi pack/unpack, and schema load time"
        case .client:
            "VPPClient round trips (1 and 64 callers) and a 10,000-interface dump against the simulator process"
        case .http:
            "gateway POST /v1/show_version under wrk and a 10,000-interface dump over HTTP, vs direct VPPClient"
        case .sse:
            "SSE fan-out: 10,000 subscribers on one registration at 10 events/s (latency, loss, gateway RSS)"
        }
    }

    /// Runs the section and prints its tables; returns whether every target was met.
    func run(_ options: BenchmarkOptions) throws -> Bool {
        switch self {
        case .codec: try CodecBenchmark(options: options).run()
        case .client: try ClientBenchmark(options: options).run()
        case .http: try HTTPBenchmark(options: options).run()
        case .sse: try SSEBenchmark(options: options).run()
        }
    }
}

/// Command-line options, shared by every section.
struct BenchmarkOptions: Sendable {
    /// Sections to run, in order.
    var sections: [Section] = [.codec]
    /// Folder holding the VPP `.api.json` set (searched recursively).
    var apiDir: String?
    /// Measured rounds; every reported figure is the median over them.
    var rounds = 5
    /// Whether `--rounds` was given (the http section defaults to 3 rounds otherwise).
    var roundsExplicit = false
    /// Length of one measured row in the client (default 1 s) and http (default 4 s) sections.
    var sliceSeconds: Double?
    /// SSE subscribers.
    var subscribers = 10_000
    /// SSE events per second.
    var eventRate = 10.0
    /// How long SSE events are emitted.
    var sseSeconds = 20.0
    /// Nice value for this process and the processes it starts (negative needs root): on a
    /// machine shared with other work, measures what the gateway does with the CPU it needs.
    var priority: Int32?
    /// Time one sample (one measured batch of one operation) should take.
    var sampleSeconds = 0.1
    /// Python interpreter that has `vpp_papi` installed.
    var python: String?
    /// The vpp_papi helper script.
    var papiScript: String?
    /// Skip the vpp_papi comparison.
    var noPapi = false
    /// Exit with status 2 when a target is missed.
    var strict = false
    /// Run one workload for a while and print nothing else (for `perf record`): `OP:MESSAGE`.
    var profile: String?
    /// How long `--profile` runs.
    var profileSeconds = 5.0

    enum Parsed {
        case help
        case run(BenchmarkOptions)
    }

    static let usage = """
        usage: vpp-benchmarks [SECTION...] [OPTIONS]

        Sections (default: codec):
        \(Section.allCases.map { "  \($0.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0))\($0.summary)" }.joined(separator: "\n"))
          all       every section above, in order

        Options:
          --api-dir DIR       VPP .api.json folder (default: ../shared/vpp-api/26.06 beside the repo)
          --rounds N          measured rounds; figures are medians over them (default 5)
          --sample-ms MS      length of one measured batch in milliseconds (default 100)
          --python PATH       Python with vpp_papi (default: $VPPGW_BENCH_PYTHON, then .venv-bench/bin/python)
          --papi-script PATH  the vpp_papi helper (default: Benchmarks/papi_bench.py in the repo)
          --no-papi           measure the Swift side only
          --seconds S         client/http: length of one measured row (default 1 s for client, 4 s for http)
          --subscribers N     sse: subscribers (default 10000)
          --event-rate R      sse: events per second (default 10)
          --sse-seconds S     sse: how long events are emitted, per configuration (default 20)
          --priority N        run this process and its children at nice N (e.g. -10, needs root) so that a
                              shared machine's other work competes less; printed with the tables
          --strict            exit with status 2 when a target is missed
          --profile OP:MSG    codec: loop one Swift workload (OP: decode-json, decode-message, encode-text,
                              encode-value; MSG: a message name) for --profile-seconds, for perf/callgrind
          --profile-seconds S how long --profile runs (default 5)
          -h, --help          this text

        Benchmarks/run.sh builds the release binary, installs vpp_papi into .venv-bench/ and runs this.
        """

    static func parse(_ args: [String]) throws(UsageError) -> Parsed {
        var o = BenchmarkOptions()
        var sections: [Section] = []
        var i = 0
        func value(_ flag: String) throws(UsageError) -> String {
            i += 1
            guard i < args.count else { throw UsageError("\(flag) needs a value") }
            return args[i]
        }
        while i < args.count {
            let a = args[i]
            switch a {
            case "-h", "--help", "help": return .help
            case "all": sections = Section.allCases
            case "--api-dir": o.apiDir = try value(a)
            case "--rounds":
                guard let n = Int(try value(a)), n >= 1, n <= 1000 else { throw UsageError("--rounds needs a count from 1 to 1000") }
                o.rounds = n
                o.roundsExplicit = true
            case "--seconds":
                guard let sec = Double(try value(a)), sec > 0, sec <= 600 else { throw UsageError("--seconds needs a positive number up to 600") }
                o.sliceSeconds = sec
            case "--subscribers":
                guard let n = Int(try value(a)), n >= 1, n <= 60_000 else { throw UsageError("--subscribers needs a count from 1 to 60000") }
                o.subscribers = n
            case "--event-rate":
                guard let r = Double(try value(a)), r > 0, r <= 10_000 else { throw UsageError("--event-rate needs a positive rate up to 10000") }
                o.eventRate = r
            case "--sse-seconds":
                guard let sec = Double(try value(a)), sec > 0, sec <= 3600 else { throw UsageError("--sse-seconds needs a positive number") }
                o.sseSeconds = sec
            case "--sample-ms":
                guard let ms = Double(try value(a)), ms >= 1, ms <= 60_000 else { throw UsageError("--sample-ms needs milliseconds from 1 to 60000") }
                o.sampleSeconds = ms / 1000
            case "--python": o.python = try value(a)
            case "--papi-script": o.papiScript = try value(a)
            case "--no-papi": o.noPapi = true
            case "--priority":
                guard let n = Int32(try value(a)), n >= -20, n <= 19 else { throw UsageError("--priority needs a nice value from -20 to 19") }
                o.priority = n
            case "--strict": o.strict = true
            case "--profile": o.profile = try value(a)
            case "--profile-seconds":
                guard let sec = Double(try value(a)), sec > 0 else { throw UsageError("--profile-seconds needs a positive number") }
                o.profileSeconds = sec
            default:
                if let s = Section(rawValue: a) {
                    if !sections.contains(s) { sections.append(s) }
                } else {
                    throw UsageError("unknown argument \"\(a)\"")
                }
            }
            i += 1
        }
        if !sections.isEmpty { o.sections = sections }
        return .run(o)
    }
}

/// A command-line mistake (printed with the usage text, exit status 64).
struct UsageError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// A benchmark that could not run (printed, exit status 1).
struct BenchmarkError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func printError(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

/// Where the repository and its neighbours are.
enum Locations {
    /// The repository root: the working directory when it looks like the repo, else the folder
    /// this file was compiled from (two levels up from Benchmarks/VPPBenchmarks).
    static var repoRoot: URL {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        if FileManager.default.fileExists(atPath: cwd.appendingPathComponent("Benchmarks/papi_bench.py").path) {
            return cwd
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The VPP 26.06 `.api.json` folder: `--api-dir`, else `shared/` beside the repo (as in CI),
    /// else `shared/` inside it.
    static func apiDir(_ options: BenchmarkOptions) throws -> String {
        if let d = options.apiDir { return d }
        let root = repoRoot
        let candidates = [
            root.deletingLastPathComponent().appendingPathComponent("shared/vpp-api/26.06"),
            root.appendingPathComponent("shared/vpp-api/26.06"),
        ]
        for c in candidates where FileManager.default.fileExists(atPath: c.path) {
            return c.standardizedFileURL.path
        }
        throw BenchmarkError("cannot find the VPP 26.06 .api.json set (tried \(candidates.map(\.path).joined(separator: ", "))); pass --api-dir")
    }
}
