#if canImport(Glibc)
import Glibc
#endif
import Foundation

// Timing, statistics, number formatting, tables and machine facts shared by all sections.

/// Keeps a value alive so the optimizer cannot drop the work that produced it.
@inline(never) @_optimize(none)
func blackHole<T>(_ value: T) {}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) * 1e-18
    }
}

/// Times `body` on the monotonic clock.
func timed(_ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    try body()
    return (clock.now - start).seconds
}

/// A repeatable piece of work: `run(n)` does the operation `n` times.
struct Workload {
    let run: (Int) throws -> Void

    /// Finds how many iterations take about `target` seconds (this doubles as the warm-up).
    func calibrate(target: Double) throws -> Int {
        var n = 1
        while true {
            let t = try timed { try run(n) }
            if t >= 0.02 || n >= 1 << 30 {
                return max(1, Int((target * Double(n) / max(t, 1e-9)).rounded()))
            }
            n = t < 0.002 ? n * 8 : n * 2
        }
    }

    /// Seconds one batch of `iterations` takes.
    func seconds(iterations: Int) throws -> Double {
        try timed { try run(iterations) }
    }
}

/// The median (the mean of the middle two for an even count).
func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

// MARK: - Formatting

/// `1234567.8` → `1,234,568`.
func grouped(_ value: Double) -> String {
    guard value.isFinite else { return "n/a" }
    let digits = String(Int64(value.rounded()).magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return (value < 0 ? "-" : "") + out
}

/// Fixed-point text with `places` decimals (`n/a` for NaN).
func fixed(_ value: Double, _ places: Int) -> String {
    guard value.isFinite else { return "n/a" }
    return String(format: "%.\(places)f", value)
}

/// A speed-up such as `41.3×`.
func ratioText(_ value: Double) -> String {
    guard value.isFinite else { return "n/a" }
    return value >= 100 ? "\(fixed(value, 0))×" : "\(fixed(value, 1))×"
}

/// Milliseconds with one decimal.
func millis(_ seconds: Double) -> String {
    guard seconds.isFinite else { return "n/a" }
    return "\(fixed(seconds * 1000, 1)) ms"
}

/// A Markdown table whose columns are padded to line up in a terminal too.
struct Table {
    enum Align { case left, right }
    let headers: [String]
    let align: [Align]
    var rows: [[String]] = []

    init(_ columns: [(String, Align)]) {
        headers = columns.map(\.0)
        align = columns.map(\.1)
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render() -> String {
        var widths = headers.map(\.count)
        for r in rows {
            for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) }
        }
        func pad(_ s: String, _ i: Int) -> String {
            let fill = String(repeating: " ", count: max(0, widths[i] - s.count))
            return align[i] == .left ? s + fill : fill + s
        }
        func line(_ cells: [String]) -> String {
            "| " + cells.indices.map { pad(cells[$0], $0) }.joined(separator: " | ") + " |"
        }
        let rule = "|" + widths.indices.map { i in
            align[i] == .left ? ":" + String(repeating: "-", count: widths[i] + 1)
                : String(repeating: "-", count: widths[i] + 1) + ":"
        }.joined(separator: "|") + "|"
        return ([line(headers), rule] + rows.map(line)).joined(separator: "\n")
    }
}

// MARK: - Machine facts

enum Machine {
    /// Online processors, as `nproc` reports them.
    static var cores: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// The CPU model from /proc/cpuinfo.
    static var cpuModel: String {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
        for line in text.split(separator: "\n") where line.hasPrefix("model name") {
            if let colon = line.firstIndex(of: ":") {
                return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return "unknown CPU"
    }

    /// The 1, 5 and 15 minute load averages (how busy the machine was).
    static var loadAverage: String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "n/a" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// Now, in UTC, ISO 8601.
    static var date: String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date())
    }

    /// The build configuration of this binary.
    static var build: String {
        #if DEBUG
        "DEBUG build: these numbers mean nothing, build with -c release"
        #else
        "release build"
        #endif
    }

    /// The source revision, when the caller says (`run.sh` sets `VPPGW_BENCH_REVISION`).
    static var revision: String? {
        guard let r = ProcessInfo.processInfo.environment["VPPGW_BENCH_REVISION"], !r.isEmpty else { return nil }
        return r
    }

    /// The nice value of this process (0 unless `--priority` changed it).
    static var niceValue: Int32 {
        errno = 0
        return getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
    }

    /// One line describing the machine and the moment.
    static var summary: String {
        let nice = niceValue
        return "\(date) · nproc \(cores) · \(cpuModel) · load average \(loadAverage) · \(build)"
            + (revision.map { " · revision \($0)" } ?? "")
            + (nice != 0 ? " · benchmark processes at nice \(nice) (--priority)" : "")
    }
}
