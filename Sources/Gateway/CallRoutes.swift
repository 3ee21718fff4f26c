import HTTPServer
import Logging
import VPPClient
import VPPCodec
import VPPJSON
import VPPSchema

extension Gateway {
    /// `POST /v1/{request}` (and `GET` for read-only requests), `GET|POST /v1/{dump}`.
    func call(_ name: String, _ request: HTTPRequest, logger: Logger) async throws(Problem) -> HTTPResponse {
        let codec = try requireCodec()
        guard let message = codec.schema.message(name) else {
            throw Problem(.unknownMessage, "no message \(name) in the loaded API\(suggestion(for: name, in: codec.schema))")
        }
        if let refusal = CallPolicy.refusal(for: message, in: codec.schema) {
            throw Problem(.notCallable, refusal)
        }
        try checkPolicy(message)
        let isStream = message.kind == .dump || message.kind == .getStream
        let methods = isStream || CallPolicy.isReadOnly(name) ? ["GET", "POST"] : ["POST"]
        try allow(request, methods)
        if isStream {
            return try await stream(message, fields: try fields(of: message, request, codec: codec), request, logger: logger)
        }
        let reply: DecodedMessage
        // The hot path hands the body to the codec as it came (one parse, in the encoder).
        let parsed = request.method == "POST" && request.query.isEmpty ? nil : try fields(of: message, request, codec: codec)
        let sent = ContinuousClock.now
        do throws(VPPError) {
            if let parsed {
                reply = try await client.call(name, .object(parsed))
            } else {
                reply = try await client.call(name, json: request.body.isEmpty ? Array("{}".utf8) : request.body)
            }
        } catch {
            throw Problem(vpp: error)
        }
        metrics.observeVPPCall(ContinuousClock.now - sent)
        if let r = reply.retval, r != 0 {
            throw Problem(vpp: .retval(r, name, reply))
        }
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: .bytes(reply.json))
    }

    /// The request fields: the JSON body for POST, query parameters for GET (both for POST
    /// with a query string, the query winning).
    func fields(of message: MessageDef, _ request: HTTPRequest, codec: Codec) throws(Problem) -> JSONObject {
        var fields = request.method == "POST" ? try FieldInput.body(request.body) : JSONObject()
        let query = try FieldInput.query(request.query, fields: message.fields, schema: codec.schema)
        for m in query {
            fields.members.removeAll { $0.key == m.key }
            fields.append(m.key, m.value)
        }
        return fields
    }

    /// Streams a dump or get/stream call: a JSON array, or NDJSON when asked for. The first
    /// details message (or the end) is awaited before answering, so failures that happen at
    /// once (not connected, unknown message, VPP error) are proper problem responses; details
    /// are then written as they arrive, with backpressure, so memory does not grow with the
    /// number of details.
    func stream(_ message: MessageDef, fields: JSONObject, _ request: HTTPRequest, logger: Logger) async throws(Problem) -> HTTPResponse {
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
    /// True when `Accept` asks for NDJSON (`application/x-ndjson` or `application/jsonl`)
    /// over JSON.
    static func prefersNDJSON(_ accept: String?) -> Bool {
        guard let accept = accept?.lowercased() else { return false }
        return accept.contains("application/x-ndjson") || accept.contains("application/jsonl")
            || accept.contains("application/json-seq")
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
