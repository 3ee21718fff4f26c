import HTTPServer
import Logging
import VPPClient
import VPPCodec
import VPPJSON
import VPPSchema

extension Gateway {
    /// A message a request may call, checked: it exists, may be called over HTTP, the
    /// policy allows it and the method fits.
    struct CallTarget {
        let codec: Codec
        let message: MessageDef
        /// A dump or get/stream call (streamed details) rather than request/reply.
        var isStream: Bool { message.kind == .dump || message.kind == .getStream }
    }

    /// Resolves `POST /v1/{request}` (and `GET` for read-only requests), `GET|POST /v1/{dump}`.
    func callTarget(_ name: String, _ request: HTTPRequest) throws(Problem) -> CallTarget {
        let codec = try requireCodec()
        guard let message = codec.schema.message(name) else {
            throw Problem(.unknownMessage, "no message \(name) in the loaded API\(suggestion(for: name, in: codec.schema))")
        }
        if let refusal = CallPolicy.refusal(for: message, in: codec.schema) {
            throw Problem(.notCallable, refusal)
        }
        try checkPolicy(message)
        let target = CallTarget(codec: codec, message: message)
        try allow(request, target.isStream || CallPolicy.isReadOnly(name) ? ["GET", "POST"] : ["POST"])
        return target
    }

    /// Sends a request/reply call; `answer` receives the outcome (200 with the reply, 422
    /// for a non-zero `retval`, the VPP error's problem otherwise) on the VPP client's
    /// reader thread, or wherever the timeout was seen. Problems found before sending are
    /// thrown. The request timeout, when shorter, is the VPP call's timeout.
    func startCall(_ target: CallTarget, _ request: HTTPRequest,
                   answer: @escaping @Sendable (Result<HTTPResponse, Problem>) -> Void) throws(Problem) {
        let name = target.message.name
        let callTimeout = configuration.client.callTimeout
        let requestTimeout = configuration.requestTimeout.flatMap { $0 < callTimeout ? $0 : nil }
        let sent = ContinuousClock.now
        let metrics = self.metrics
        let completion: @Sendable (Result<DecodedMessage, VPPError>) -> Void = { result in
            switch result {
            case .success(let reply):
                metrics.observeVPPCall(ContinuousClock.now - sent)
                if let r = reply.retval, r != 0 {
                    answer(.failure(Problem(vpp: .retval(r, name, reply))))
                } else {
                    answer(.success(HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: .bytes(reply.json))))
                }
            case .failure(.timeout) where requestTimeout != nil:
                answer(.failure(Problem(.vppTimeout, "the request took longer than the gateway's request timeout of \(requestTimeout ?? callTimeout)")))
            case .failure(let error):
                answer(.failure(Problem(vpp: error)))
            }
        }
        // The hot path hands the body to the codec as it came (one parse, in the encoder).
        let parsed = request.method == "POST" && request.query.isEmpty ? nil : try fields(of: target.message, request, codec: target.codec)
        do throws(VPPError) {
            if let parsed {
                try client.call(name, .object(parsed), timeout: requestTimeout ?? callTimeout, completion: completion)
            } else {
                try client.call(name, json: request.body.isEmpty ? Array("{}".utf8) : request.body,
                                timeout: requestTimeout ?? callTimeout, completion: completion)
            }
        } catch {
            throw Problem(vpp: error)
        }
    }

    /// The request fields: the JSON body for POST, query parameters for GET (both for POST
    /// with a query string; a field given in both is refused, as nobody could tell which
    /// one was meant).
    func fields(of message: MessageDef, _ request: HTTPRequest, codec: Codec) throws(Problem) -> JSONObject {
        var fields = request.method == "POST" ? try FieldInput.body(request.body) : JSONObject()
        let query = try FieldInput.query(request.query, fields: message.fields, schema: codec.schema)
        for m in query {
            if fields.members.contains(where: { $0.key == m.key }) {
                throw Problem(.invalidField, "field \"\(m.key)\" is given both in the query string and in the body", pointer: "/" + m.key)
            }
            fields.append(m.key, m.value)
        }
        return fields
    }

    /// Streams a dump or get/stream call: a JSON array, or NDJSON when asked for. The first
    /// details message (or the end) is awaited before answering, so failures that happen at
    /// once (not connected, unknown message, VPP error) are proper problem responses; details
    /// are then written as they arrive, with backpressure, so memory does not grow with the
    /// number of details.
    func stream(_ target: CallTarget, _ request: HTTPRequest, logger: Logger) async throws(Problem) -> HTTPResponse {
        let message = target.message
        let fields = try fields(of: message, request, codec: target.codec)
        let ndjson = Negotiation.prefersNDJSON(request.header("accept"))
        let sent = ContinuousClock.now
        var iterator = client.dump(message.name, .object(fields)).makeAsyncIterator()
        let first: DecodedMessage?
        do throws(VPPError) {
            first = try await iterator.next()
        } catch {
            throw Problem(vpp: error)
        }
        let (source, writer) = HTTPStreamSource.makeStream(highWaterMark: configuration.dumpQueueBytes)
        let metrics = self.metrics
        Task {
            var buffer: [UInt8] = []
            buffer.reserveCapacity(64 * 1024)
            var count = 0
            func append(_ m: DecodedMessage) {
                if ndjson {
                    buffer += m.json
                    buffer.append(UInt8(ascii: "\n"))
                } else {
                    buffer.append(count == 0 ? UInt8(ascii: "[") : UInt8(ascii: ","))
                    buffer += m.json
                }
                count += 1
            }
            do {
                if let first { append(first) }
                while let m = try await iterator.next() {
                    append(m)
                    if buffer.count >= 32 * 1024 {
                        try await writer.write(buffer)
                        buffer.removeAll(keepingCapacity: true)
                    }
                }
                if !ndjson { buffer += count == 0 ? Array("[]".utf8) : [UInt8(ascii: "]")] }
                if !buffer.isEmpty { try await writer.write(buffer) }
                writer.finish()
                metrics.observeVPPCall(ContinuousClock.now - sent)
            } catch let error as VPPError {
                logger.warning("dump failed mid-stream: \(error)", metadata: ["message": "\(message.name)", "details": "\(count)"])
                if ndjson {
                    // NDJSON readers see the failure as a last line: the problem itself.
                    let problem = Problem(vpp: error).response()
                    if case .bytes(let b) = problem.body { buffer += b + [UInt8(ascii: "\n")] }
                    try? await writer.write(buffer)
                    writer.finish()
                } else {
                    // A JSON array cannot carry the error: end the body abnormally so the
                    // client sees a broken response rather than a short list.
                    if !buffer.isEmpty { try? await writer.write(buffer) }
                    writer.abort()
                }
            } catch {
                writer.abort()
            }
        }
        let contentType = ndjson ? "application/x-ndjson" : "application/json"
        return HTTPResponse(status: 200, headers: [("Content-Type", contentType), ("Cache-Control", "no-store")],
                            body: .stream(source))
    }

    /// ", did you mean …?" for a mistyped message name.
    func suggestion(for name: String, in schema: Schema) -> String {
        let candidates = schema.messageNames.filter { $0.hasPrefix(String(name.prefix(6))) && !$0.hasSuffix("_reply") }
        let close = candidates.sorted { editDistance($0, name) < editDistance($1, name) }.prefix(3)
        return close.isEmpty ? "" : "; did you mean \(close.joined(separator: ", "))?"
    }
}

/// Content negotiation for the few places where it matters.
enum Negotiation {
    private static let lineTypes: Set<String> = ["application/x-ndjson", "application/jsonl", "application/json-seq"]

    /// True when `Accept` asks for NDJSON (`application/x-ndjson`, `application/jsonl`) over
    /// JSON, weighing q-values (RFC 9110 §12.5.1): NDJSON must be named, with a q above
    /// that of `application/json` and at least that of a wildcard (`*/*`, `application/*`),
    /// which it is more specific than. Equal weights keep JSON, the default.
    static func prefersNDJSON(_ accept: String?) -> Bool {
        guard let accept = accept?.lowercased() else { return false }
        var lines = 0.0, json = 0.0, wildcard = 0.0
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";").map { String($0.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()) }
            guard let type = parts.first, !type.isEmpty else { continue }
            var q = 1.0
            for p in parts.dropFirst() where p.hasPrefix("q=") {
                q = Double(p.dropFirst(2)).map { min(max($0, 0), 1) } ?? 0
            }
            if lineTypes.contains(type) { lines = max(lines, q) }
            else if type == "application/json" { json = max(json, q) }
            else if type == "*/*" || type == "application/*" { wildcard = max(wildcard, q) }
        }
        return lines > 0 && lines > json && lines >= wildcard
    }
}

/// Levenshtein distance, for suggestions.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.utf8), b = Array(b.utf8)
    if a.isEmpty { return b.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...max(1, b.count) where !b.isEmpty {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
