import Foundation
import Logging
import Synchronization
import VPPJSON

/// Where the gateway's log lines go: standard error, written by one background thread.
///
/// Threads that log must never wait for the log's reader: the VPP client's reader thread
/// answers HTTP requests (and logs them), and libmicrohttpd's polling thread serves every
/// connection. A blocking `write(2)` to a full pipe or a stalled journald would stall them
/// all. So lines are queued and written here; when more than `capacity` lines wait, new
/// ones are dropped and counted, and the count is reported as soon as there is room again.
final class LogOutput: Sendable {
    /// The process's standard error.
    static let standardError = LogOutput(fd: 2, capacity: 10_000)

    private struct State {
        var lines: [[UInt8]] = []
        var dropped = 0
        var writing = false
    }

    private let fd: Int32
    private let capacity: Int
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    private init(fd: Int32, capacity: Int) {
        self.fd = fd
        self.capacity = capacity
        let thread = Thread { [self] in
            // Named from inside: on Linux a name set before start() is not applied.
            Thread.current.name = "log-writer"
            run()
        }
        thread.start()
    }

    /// Queues one line (with its newline); never blocks.
    func write(_ line: [UInt8]) {
        let queued = state.withLock { s -> Bool in
            guard s.lines.count < capacity else {
                s.dropped += 1
                return false
            }
            s.lines.append(line)
            return true
        }
        if queued { wake.signal() }
    }

    /// Waits (at most `timeout`) until every queued line is written: before the process
    /// exits, so the last lines ("stopped") are not lost.
    func flush(timeout: Duration = .seconds(2)) {
        let deadline = ContinuousClock.now + timeout
        while state.withLock({ !$0.lines.isEmpty || $0.writing }), ContinuousClock.now < deadline {
            usleep(1_000)
        }
    }

    private func run() {
        while true {
            wake.wait()
            let (lines, dropped) = state.withLock { s -> ([[UInt8]], Int) in
                defer {
                    s.lines.removeAll(keepingCapacity: true)
                    s.dropped = 0
                }
                s.writing = true
                return (s.lines, s.dropped)
            }
            var batch: [UInt8] = []
            if dropped > 0 { batch += Array("vpp-gateway: \(dropped) log lines dropped (standard error too slow)\n".utf8) }
            for line in lines { batch += line }
            writeAll(batch)
            state.withLock { $0.writing = false }
        }
    }

    private func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            guard var p = buffer.baseAddress else { return }
            var left = buffer.count
            while left > 0 {
                let n = Foundation.write(fd, p, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    return  // standard error is gone: nothing to report it to
                }
                p += n
                left -= n
            }
        }
    }
}

/// The gateway's log lines, written through ``LogOutput``, in one of two formats:
/// - `text` (the default), swift-log's `StreamLogHandler` layout:
///   `2026-11-23T04:35:00Z info vpp-gateway: request_id=… [module] message`;
/// - `json`, one object per line for log pipelines:
///   `{"ts":…,"level":…,"label":…,"message":…, <metadata>…}`, metadata such as `request_id`
///   as top-level keys.
struct GatewayLogHandler: LogHandler {
    enum Format { case text, json }

    let label: String
    let format: Format
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    init(label: String, level: Logger.Level, format: Format) {
        self.label = label
        self.format = format
        logLevel = level
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }.sorted { $0.key < $1.key }
        let line: String
        switch format {
        case .text:
            let pairs = merged.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let time = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .omitted))
            line = "\(time) \(event.level) \(label):\(pairs.isEmpty ? "" : " " + pairs) [\(event.source)] \(event.message)\n"
        case .json:
            var o = JSONObject()
            o.append("ts", .string(Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true))))
            o.append("level", .string(event.level.rawValue))
            o.append("label", .string(label))
            o.append("message", .string(event.message.description))
            for (k, v) in merged { o.append(k, .string(v.description)) }
            if !event.source.isEmpty { o.append("source", .string(event.source)) }
            line = JSONValue.object(o).jsonText + "\n"
        }
        LogOutput.standardError.write(Array(line.utf8))
    }
}
