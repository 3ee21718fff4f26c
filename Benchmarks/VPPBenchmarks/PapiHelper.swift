import Foundation
import VPPJSON

/// The vpp_papi side of a benchmark: `Benchmarks/papi_bench.py` running as a child process.
///
/// It speaks JSON lines on stdin/stdout: one request, one reply, so the Swift and the Python
/// measurements alternate on the CPU within one run. Its stderr is ours (errors show up).
final class PapiHelper {
    private let process: Process
    private let toChild: FileHandle
    private let fromChild: FileHandle
    private var buffer: [UInt8] = []
    /// The helper's first line: versions, its load time, its self-checks.
    private(set) var hello: JSONValue = .null

    /// Starts the helper; `messagesFile` holds one JSON line per message (`name`, `hex`, `json`).
    init(python: String, script: String, apiDir: String, messagesFile: String) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, "--api-dir", apiDir, "--messages", messagesFile]
        let stdinPipe = Pipe()
        let stdoutPipe = Pipe()
        process.standardInput = stdinPipe
        process.standardOutput = stdoutPipe
        toChild = stdinPipe.fileHandleForWriting
        fromChild = stdoutPipe.fileHandleForReading
        try process.run()
        hello = try receive()
        if let e = hello["error"]?.stringValue {
            close()
            throw BenchmarkError("vpp_papi helper: \(e)")
        }
    }

    /// Sends one request object (JSON text) and returns the reply.
    func request(_ json: String) throws -> JSONValue {
        do {
            try toChild.write(contentsOf: Data((json + "\n").utf8))
        } catch {
            throw BenchmarkError("vpp_papi helper stopped reading (\(error))")
        }
        let reply = try receive()
        if let e = reply["error"]?.stringValue { throw BenchmarkError("vpp_papi helper: \(e)") }
        return reply
    }

    /// How many iterations of `op` on message `index` take about `target` seconds (warms up).
    func calibrate(message index: Int, op: String, target: Double) throws -> Int {
        let r = try request(#"{"op":"calibrate","msg":\#(index),"kind":"\#(op)","target":\#(target)}"#)
        guard let n = r["iters"]?.numberValue?.int64Value, n > 0 else { throw BenchmarkError("vpp_papi helper: bad calibrate reply \(r.jsonText)") }
        return Int(n)
    }

    /// Seconds one batch of `iterations` takes, timed inside Python.
    func seconds(message index: Int, op: String, iterations: Int) throws -> Double {
        let r = try request(#"{"op":"run","msg":\#(index),"kind":"\#(op)","iters":\#(iterations)}"#)
        guard let s = r["seconds"]?.numberValue?.doubleValue, s > 0 else { throw BenchmarkError("vpp_papi helper: bad run reply \(r.jsonText)") }
        return s
    }

    /// Asks the helper to quit and waits for it.
    func close() {
        try? toChild.write(contentsOf: Data(#"{"op":"quit"}"#.utf8 + [10]))
        try? toChild.close()
        process.waitUntilExit()
    }

    private func receive() throws -> JSONValue {
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = Array(buffer[..<nl])
                buffer.removeSubrange(...nl)
                do {
                    return try JSONParser.parse(line)
                } catch {
                    throw BenchmarkError("vpp_papi helper said something that is not JSON: \(String(decoding: line.prefix(200), as: UTF8.self))")
                }
            }
            let chunk = fromChild.availableData
            if chunk.isEmpty {
                process.waitUntilExit()
                throw BenchmarkError("vpp_papi helper exited (status \(process.terminationStatus)); see its messages above")
            }
            buffer.append(contentsOf: chunk)
        }
    }
}
