import Foundation
import VPPCodec
import VPPJSON
import VPPSchema

/// `vpp-benchmarks codec`: decode-to-JSON and encode-from-JSON throughput of the Swift codec
/// beside vpp_papi's unpack and pack on the same bytes, and the time to load the 26.06 set.
struct CodecBenchmark {
    let options: BenchmarkOptions

    /// The targets of the codec issue's Speed section.
    static let targetSwIfDecodesPerSecond = 1_000_000.0
    static let targetRatioOverPapiUnpack = 30.0
    static let targetSchemaLoadSeconds = 0.300
    /// Each figure's batch is run in this many slices, alternating with its counterpart's.
    static let slices = 4

    /// A sample message, encoded and decoded once, ready to measure.
    struct Prepared {
        let sample: SampleMessage
        /// The wire bytes (from `_vl_msg_id`, no socket framing).
        let bytes: [UInt8]
        /// Canonical JSON text of `bytes`.
        let canonical: [UInt8]
        /// `canonical`, parsed.
        let value: JSONValue
    }

    /// The Swift measurements, per message.
    enum SwiftOp: String, CaseIterable {
        case decodeJSON = "decode-json"
        case decodeMessage = "decode-message"
        case encodeText = "encode-text"
        case encodeValue = "encode-value"
    }

    /// The vpp_papi measurements, per message (names as papi_bench.py knows them).
    enum PapiOp: String, CaseIterable {
        case unpack, unpackRaw = "unpack_ntc", unpackJSON = "unpack_json", pack, loadsPack = "loads_pack"
    }

    func run() throws -> Bool {
        let apiDir = try Locations.apiDir(options)
        let rounds = options.rounds

        // Schema load: the first load of the process, then `rounds` more; each followed by
        // compiling the codec's plans (what the gateway does before it can serve).
        progress("loading the schema from \(apiDir)")
        var schema = Schema.empty
        let firstLoad = try timed { schema = try SchemaLoader.load(paths: [apiDir]) }
        var codec = Codec(schema: schema)
        var loadTimes: [Double] = []
        var compileTimes: [Double] = []
        for _ in 0..<(options.profile == nil ? rounds : 0) {
            loadTimes.append(try timed { schema = try SchemaLoader.load(paths: [apiDir]) })
            compileTimes.append(timed { codec = Codec(schema: schema) })
        }
        let fileCount = apiFileCount(apiDir)

        // The messages: encode the spec, decode the bytes, and check that the canonical JSON
        // encodes back to the same bytes.
        let prepared = try SampleMessages.all.map { try prepare($0, codec) }

        if let spec = options.profile {
            try profile(spec, prepared, codec)
            return true
        }

        // vpp_papi, on the same bytes.
        var papi: PapiHelper?
        var papiNote: String?
        let messagesFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("vpp-benchmarks-codec-\(ProcessInfo.processInfo.processIdentifier).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: messagesFile) }
        if options.noPapi {
            papiNote = "vpp_papi comparison skipped (--no-papi)"
        } else if let python = pythonPath() {
            try writeMessages(prepared, to: messagesFile)
            progress("starting the vpp_papi helper (\(python))")
            do {
                papi = try PapiHelper(python: python, script: papiScriptPath(), apiDir: apiDir, messagesFile: messagesFile)
            } catch {
                papiNote = "vpp_papi comparison unavailable: \(error)"
            }
        } else {
            papiNote = "vpp_papi comparison unavailable: no Python with vpp_papi (run Benchmarks/run.sh, or pass --python)"
        }
        defer { papi?.close() }

        var papiLoadTimes: [Double] = []
        if let papi {
            if let first = papi.hello["load_s"]?.numberValue?.doubleValue { papiLoadTimes.append(first) }
            let more = try papi.request(#"{"op":"loadtime","count":2}"#)
            papiLoadTimes += more["seconds"]?.arrayValue?.compactMap { $0.numberValue?.doubleValue } ?? []
        }

        // Workloads and their batch sizes (calibration is the warm-up).
        progress("calibrating")
        let swiftWork = prepared.map { p in SwiftOp.allCases.map { workload($0, p, codec) } }
        let swiftIters = try swiftWork.map { ops in try ops.map { try $0.calibrate(target: options.sampleSeconds) } }
        let papiIters: [[Int]] = try prepared.indices.map { m in
            guard let papi else { return [] }
            return try PapiOp.allCases.map { try papi.calibrate(message: m, op: $0.rawValue, target: options.sampleSeconds) }
        }

        // Rounds: per message, each Swift figure is measured beside its papi counterpart, in
        // alternating slices (Swift, papi, Swift, papi…) so that both see the same machine load.
        var swiftRates = prepared.map { _ in SwiftOp.allCases.map { _ in [Double]() } }
        var papiRates = prepared.map { _ in PapiOp.allCases.map { _ in [Double]() } }
        let order: [(SwiftOp?, PapiOp?)] = [
            (.decodeJSON, .unpack), (.encodeText, .pack), (nil, .unpackJSON), (nil, .loadsPack),
            (.decodeMessage, .unpackRaw), (.encodeValue, nil),
        ]
        for r in 0..<rounds {
            progress("round \(r + 1) of \(rounds)")
            for m in prepared.indices {
                for (s, p) in order {
                    let si = s.flatMap { SwiftOp.allCases.firstIndex(of: $0) }
                    let pi = papi == nil ? nil : p.flatMap { PapiOp.allCases.firstIndex(of: $0) }
                    var (swiftTime, swiftDone, papiTime, papiDone) = (0.0, 0, 0.0, 0)
                    for _ in 0..<Self.slices {
                        if let si {
                            let n = max(1, swiftIters[m][si] / Self.slices)
                            swiftTime += try swiftWork[m][si].seconds(iterations: n)
                            swiftDone += n
                        }
                        if let pi, let p, let papi {
                            let n = max(1, papiIters[m][pi] / Self.slices)
                            papiTime += try papi.seconds(message: m, op: p.rawValue, iterations: n)
                            papiDone += n
                        }
                    }
                    if let si { swiftRates[m][si].append(Double(swiftDone) / swiftTime) }
                    if let pi { papiRates[m][pi].append(Double(papiDone) / papiTime) }
                }
            }
        }

        // Report.
        func swift(_ m: Int, _ op: SwiftOp) -> [Double] { swiftRates[m][SwiftOp.allCases.firstIndex(of: op)!] }
        func py(_ m: Int, _ op: PapiOp) -> [Double] { papiRates[m][PapiOp.allCases.firstIndex(of: op)!] }
        /// Per-round ratios of a Swift figure over the papi figure measured beside it.
        func ratios(_ m: Int, _ s: SwiftOp, _ p: PapiOp) -> [Double] {
            zip(swift(m, s), py(m, p)).map { $0 / $1 }
        }
        func rangeText(_ rs: [Double]) -> String {
            guard let lo = rs.min(), let hi = rs.max() else { return "n/a" }
            return "\(ratioText(lo))–\(ratioText(hi))"
        }

        let papiVersion = papi?.hello["papi_version"]?.stringValue ?? "n/a"
        let pythonVersion = papi?.hello["python_version"]?.stringValue ?? "n/a"
        print("## Codec: VPP binary ⇄ JSON (VPP 26.06 API set)")
        print("")
        print(Machine.summary)
        print("Swift codec (this repo) vs vpp_papi \(papiVersion) on Python \(pythonVersion), both single-threaded, "
              + "measured alternately in one run: \(rounds) round\(rounds == 1 ? "" : "s"), ~\(Int(options.sampleSeconds * 1000)) ms per figure per round, medians.")
        print("")

        var main = Table([
            ("message", .left), ("bytes", .right),
            ("Swift decode→JSON msg/s", .right), ("MB/s", .right), ("papi unpack msg/s", .right), ("ratio", .right),
            ("Swift JSON→bytes msg/s", .right), ("MB/s", .right), ("papi pack msg/s", .right), ("ratio", .right),
        ])
        var more = Table([
            ("message", .left), ("JSON bytes", .right),
            ("Swift decode→DecodedMessage msg/s", .right), ("Swift JSONValue→bytes msg/s", .right),
            ("papi unpack (no conversion) msg/s", .right),
            ("papi unpack→json.dumps msg/s", .right), ("ratio", .right),
            ("papi json.loads→pack msg/s", .right), ("ratio", .right),
            ("decode ratio range", .right), ("encode ratio range", .right),
        ])
        var worstDecodeRatio: (Double, String) = (.infinity, "")
        for (m, p) in prepared.enumerated() {
            let size = Double(p.bytes.count)
            let dec = median(swift(m, .decodeJSON))
            let enc = median(swift(m, .encodeText))
            let decRatio = median(ratios(m, .decodeJSON, .unpack))
            if papi != nil, decRatio < worstDecodeRatio.0 { worstDecodeRatio = (decRatio, p.sample.label) }
            main.add([
                p.sample.label, "\(p.bytes.count)",
                grouped(dec), fixed(dec * size / 1e6, 1), grouped(median(py(m, .unpack))), ratioText(decRatio),
                grouped(enc), fixed(enc * size / 1e6, 1), grouped(median(py(m, .pack))),
                ratioText(median(ratios(m, .encodeText, .pack))),
            ])
            more.add([
                p.sample.label, "\(p.canonical.count)",
                grouped(median(swift(m, .decodeMessage))), grouped(median(swift(m, .encodeValue))),
                grouped(median(py(m, .unpackRaw))),
                grouped(median(py(m, .unpackJSON))), ratioText(median(ratios(m, .decodeJSON, .unpackJSON))),
                grouped(median(py(m, .loadsPack))), ratioText(median(ratios(m, .encodeText, .loadsPack))),
                rangeText(ratios(m, .decodeJSON, .unpack)), rangeText(ratios(m, .encodeText, .pack)),
            ])
        }
        print(main.render())
        print("")
        print("More from the same run (ratios: Swift decode→JSON over papi unpack→json.dumps, Swift JSON text→bytes over papi json.loads→pack; ranges: lowest–highest per-round ratio of the main table):")
        print("")
        print(more.render())
        print("")

        let load = median(loadTimes)
        let compile = median(compileTimes)
        let loadAndCompile = median(zip(loadTimes, compileTimes).map { $0 + $1 })
        print("Schema load, whole 26.06 set (\(fileCount) .api.json files, \(schema.messages.count) messages, \(codec.unsupported.count) not codable):")
        print("- Swift `SchemaLoader.load`: \(millis(firstLoad)) first in the process, \(millis(load)) median of \(rounds)")
        print("- Swift `Codec(schema:)` plan compile: \(millis(compile)) median; load + compile \(millis(loadAndCompile)) median")
        if papiLoadTimes.isEmpty {
            print("- vpp_papi `VPPApiJSONFiles.load_api` (reference): n/a")
        } else {
            print("- vpp_papi `VPPApiJSONFiles.load_api` (reference): \(millis(median(papiLoadTimes))) median of \(papiLoadTimes.count) fresh processes")
        }
        print("")

        // Targets.
        let swIf = prepared.firstIndex { $0.sample.name == "sw_interface_details" }!
        let swIfRate = median(swift(swIf, .decodeJSON))
        var met = true
        func target(_ ok: Bool?, _ text: String) {
            let mark = ok.map { $0 ? "met   " : "MISSED" } ?? "n/a   "
            if ok == false { met = false }
            print("- [\(mark)] \(text)")
        }
        print("Targets:")
        target(swIfRate >= Self.targetSwIfDecodesPerSecond,
               "≥ \(grouped(Self.targetSwIfDecodesPerSecond)) sw_interface_details decodes to JSON per second on one core: \(grouped(swIfRate))")
        if papi != nil {
            target(worstDecodeRatio.0 >= Self.targetRatioOverPapiUnpack,
                   "decode→JSON ≥ \(fixed(Self.targetRatioOverPapiUnpack, 0))× vpp_papi unpack on every row: lowest \(ratioText(worstDecodeRatio.0)) (\(worstDecodeRatio.1))")
        } else {
            target(nil, "decode→JSON ≥ \(fixed(Self.targetRatioOverPapiUnpack, 0))× vpp_papi unpack on every row: not measured")
        }
        target(loadAndCompile < Self.targetSchemaLoadSeconds,
               "schema load < \(millis(Self.targetSchemaLoadSeconds)): \(millis(loadAndCompile)) (load + plan compile, median)")
        print("")

        print("Notes:")
        print("- bytes: wire size from `_vl_msg_id` on, without the socket framing; MB/s = wire bytes per second (10^6 bytes).")
        print("- Swift decode→JSON: `Codec.decode(_:as:appendingTo:)` into a reused `JSONWriter`, canonical JSON text out. "
              + "Swift JSON→bytes: `Codec.encode(json:as:header:)`, which parses the canonical JSON text, then encodes.")
        print("- papi unpack: `VPPMessage.unpack(bytes)` with its default type conversion; it builds Python objects "
              + "(namedtuples, IntFlag, MACAddress…), not JSON, so it does less than the Swift column. "
              + "papi unpack→json.dumps adds turning that into dicts and `json.dumps`, the like-for-like figure.")
        print("- papi pack: `VPPMessage.pack(dict)` from a dict prepared outside the timing (enum values as ints, addresses as text, "
              + "header fields included); it parses no JSON. papi json.loads→pack adds `json.loads` of that dict's JSON text.")
        print("- ratio: median over the rounds of (Swift rate / papi rate); within a round each pair runs in \(Self.slices) alternating slices "
              + "(Swift, papi, Swift, papi…), so both sides see the same machine load.")
        if let papi {
            let checks = papi.hello["pack_matches"]?.arrayValue ?? []
            let same = checks.filter { $0 == .bool(true) }.count
            print("- Same bytes on both sides: vpp_papi unpacks the Swift codec's bytes, and its pack of the prepared dict "
                  + "gives those bytes again for \(same) of \(checks.count) messages.")
        }
        if let papiNote { print("- \(papiNote)") }
        return met
    }

    // MARK: - Pieces

    /// `--profile OP:MESSAGE`: runs one Swift workload for `--profile-seconds`.
    private func profile(_ spec: String, _ prepared: [Prepared], _ codec: Codec) throws {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let op = SwiftOp(rawValue: parts[0]),
              let p = prepared.first(where: { $0.sample.name == parts[1] }) else {
            throw UsageError("--profile needs OP:MESSAGE with OP one of \(SwiftOp.allCases.map(\.rawValue).joined(separator: ", ")) "
                             + "and MESSAGE one of \(prepared.map(\.sample.name).joined(separator: ", "))")
        }
        let work = workload(op, p, codec)
        let batch = try work.calibrate(target: 0.05)
        var done = 0
        let t = try timed {
            let clock = ContinuousClock()
            let end = clock.now + .milliseconds(Int(options.profileSeconds * 1000))
            while clock.now < end {
                try work.run(batch)
                done += batch
            }
        }
        print("\(op.rawValue) \(p.sample.name): \(grouped(Double(done) / t)) msg/s over \(fixed(t, 1)) s")
    }

    private func prepare(_ s: SampleMessage, _ codec: Codec) throws -> Prepared {
        do {
            let bytes = try codec.encode(json: Array(s.spec.utf8), as: s.name, header: s.header)
            let decoded = try codec.decode(bytes, as: s.name)
            guard decoded.trailingBytes == 0 else { throw BenchmarkError("\(s.name): \(decoded.trailingBytes) trailing bytes") }
            let canonical = decoded.json
            let again = try codec.encode(json: canonical, as: s.name, header: decoded.header)
            guard again == bytes else { throw BenchmarkError("\(s.name): canonical JSON does not encode back to the same bytes") }
            var writer = JSONWriter()
            _ = try bytes.withUnsafeBytes { raw throws(CodecError) in try codec.decode(raw, as: s.name, appendingTo: &writer) }
            guard writer.bytes == canonical else { throw BenchmarkError("\(s.name): the two decode paths disagree") }
            return Prepared(sample: s, bytes: bytes, canonical: canonical, value: try JSONParser.parse(canonical))
        } catch let e as CodecError {
            throw BenchmarkError("\(s.name): \(e)")
        }
    }

    /// One Swift measurement as a workload. Input bytes live in their own allocation for the
    /// whole run (as a receive buffer would), and results are summed so none is optimized away.
    private func workload(_ op: SwiftOp, _ p: Prepared, _ codec: Codec) -> Workload {
        let name = p.sample.name
        let header = p.sample.header
        switch op {
        case .decodeJSON:
            let raw = copyToHeap(p.bytes)
            var writer = JSONWriter(capacity: 1 << 16)
            return Workload { n in
                var sum = 0
                for _ in 0..<n {
                    writer.bytes.removeAll(keepingCapacity: true)
                    _ = try codec.decode(raw, as: name, appendingTo: &writer)
                    sum &+= writer.bytes.count
                }
                blackHole(sum)
            }
        case .decodeMessage:
            let raw = copyToHeap(p.bytes)
            return Workload { n in
                var sum = 0
                for _ in 0..<n { sum &+= try codec.decode(raw, as: name).json.count }
                blackHole(sum)
            }
        case .encodeText:
            let text = p.canonical
            return Workload { n in
                var sum = 0
                for _ in 0..<n { sum &+= try codec.encode(json: text, as: name, header: header).count }
                blackHole(sum)
            }
        case .encodeValue:
            let value = p.value
            return Workload { n in
                var sum = 0
                for _ in 0..<n { sum &+= try codec.encode(value, as: name, header: header).count }
                blackHole(sum)
            }
        }
    }

    /// A heap copy of `bytes` that lives until the process ends (a handful of small buffers).
    private func copyToHeap(_ bytes: [UInt8]) -> UnsafeRawBufferPointer {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
        return UnsafeRawBufferPointer(rebasing: buffer[0..<bytes.count])
    }

    /// The messages for papi_bench.py: one JSON line each, with the bytes in hex.
    private func writeMessages(_ prepared: [Prepared], to path: String) throws {
        var w = JSONWriter()
        for p in prepared {
            w.raw(#"{"name":"#)
            w.string(p.sample.name)
            w.raw(#","hex":"#)
            w.string(String(decoding: p.bytes.flatMap { [hexDigits[Int($0 >> 4)], hexDigits[Int($0 & 0xF)]] }, as: UTF8.self))
            w.raw(#","json":"#)
            w.raw(p.canonical)
            w.raw("}\n")
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(w.bytes)) else {
            throw BenchmarkError("cannot write \(path)")
        }
    }

    private func pythonPath() -> String? {
        if let p = options.python { return p }
        if let p = ProcessInfo.processInfo.environment["VPPGW_BENCH_PYTHON"], !p.isEmpty { return p }
        let venv = Locations.repoRoot.appendingPathComponent(".venv-bench/bin/python").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : nil
    }

    private func papiScriptPath() -> String {
        options.papiScript ?? Locations.repoRoot.appendingPathComponent("Benchmarks/papi_bench.py").path
    }

    private func apiFileCount(_ dir: String) -> Int {
        guard let walker = FileManager.default.enumerator(atPath: dir) else { return 0 }
        var n = 0
        for case let f as String in walker where f.hasSuffix(".api.json") { n += 1 }
        return n
    }

    private func progress(_ s: String) {
        printError("[codec] \(s)")
    }
}
