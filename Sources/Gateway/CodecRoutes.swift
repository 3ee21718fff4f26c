import Foundation
import HTTPServer
import VPPClient
import VPPCodec
import VPPJSON

extension Gateway {
    /// `POST /v1/decode`: binary → canonical JSON.
    ///
    /// - `?message=NAME`: the body is one raw message (from `_vl_msg_id` on) of that type.
    /// - An API trace file (`api trace save`): every record, through the trace's own table.
    /// - Socket frames (16-byte header each, as captured from VPP's API socket): each message
    ///   by its id in the connected VPP's table.
    /// - Otherwise one raw message, by its id in the connected VPP's table.
    /// Results are canonical JSON; a record that cannot be decoded becomes
    /// `{"_error":{…}}` in its place, so one bad record does not hide the rest.
    func decode(_ request: HTTPRequest) throws(Problem) -> HTTPResponse {
        let codec = try requireCodec()
        let body = request.body
        if let name = request.queryValue("message") {
            guard codec.schema.message(name) != nil else {
                throw Problem(.unknownMessage, "no message \(name) in the loaded API", pointer: "/message")
            }
            do throws(CodecError) {
                let decoded = try codec.decode(body, as: name)
                var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
                if decoded.trailingBytes > 0 { headers.append(("X-VPP-Trailing-Bytes", String(decoded.trailingBytes))) }
                return HTTPResponse(status: 200, headers: headers, body: .bytes(decoded.json))
            } catch {
                throw Problem(.invalidField, "cannot decode the body as \(name): \(error)", pointer: error.path.isEmpty ? nil : error.path)
            }
        }
        if APITrace.looksLikeTrace(body) {
            let trace: APITrace
            do throws(CodecError) { trace = try APITrace.parse(body) } catch {
                throw Problem(.invalidField, "not a readable API trace file: \(error)")
            }
            return jsonArray(codec.decode(trace: trace).map { entry in
                (entry.result, entry.index, entry.messageID, entry.nameCRC)
            })
        }
        guard let session = client.session else {
            throw Problem(.vppNotConnected, "decoding by message id needs the connected VPP's message table; pass ?message=NAME to decode offline")
        }
        let frames = SocketFrames.split(body)
        let messages = frames?.payloads ?? [body]
        var items: [(Result<DecodedMessage, CodecError>, Int, UInt16?, String?)] = messages.enumerated().map { i, bytes in
            guard bytes.count >= 2 else {
                return (.failure(CodecError(.truncated, path: "", reason: "shorter than a message id")), i, nil, nil)
            }
            let id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
            guard let name = session.messageName(id: id) else {
                return (.failure(CodecError(.unknownMessage, path: "", reason: "message id \(id) is not in the connected VPP's table")), i, id, nil)
            }
            return (Result { () throws(CodecError) -> DecodedMessage in try session.codec.decode(bytes, as: name) }, i, id, name)
        }
        if let tail = frames?.truncatedTail {
            items.append((.failure(CodecError(.truncated, path: "", reason: tail)), messages.count, nil, nil))
        }
        return jsonArray(items)
    }

    private func jsonArray(_ items: [(Result<DecodedMessage, CodecError>, Int, UInt16?, String?)]) -> HTTPResponse {
        var w = JSONWriter(capacity: 4096)
        w.raw("[")
        for (n, item) in items.enumerated() {
            if n > 0 { w.raw(",") }
            switch item.0 {
            case .success(let d): w.raw(d.json)
            case .failure(let e):
                w.raw("{\"_error\":{\"index\":")
                w.uint(UInt64(item.1))
                if let id = item.2 { w.raw(",\"message_id\":"); w.uint(UInt64(id)) }
                if let name = item.3 { w.raw(",\"message\":"); w.string(name) }
                w.raw(",\"kind\":")
                w.string(e.kind.rawValue)
                w.raw(",\"detail\":")
                w.string(e.description)
                w.raw("}}")
            }
        }
        w.raw("]")
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: .bytes(w.bytes))
    }

    /// `POST /v1/encode/{message}`: JSON → the message's bytes (`application/octet-stream`,
    /// or lowercase hex with `?format=hex`). The id is `?msg_id=`, else the connected VPP's,
    /// else memclnt's fixed one; any other message needs one of the first two (VPP assigns
    /// module ids at start), rather than bytes with a made-up id.
    func encode(_ name: String, _ request: HTTPRequest) throws(Problem) -> HTTPResponse {
        let codec = try requireCodec()
        guard codec.schema.message(name) != nil else {
            throw Problem(.unknownMessage, "no message \(name) in the loaded API\(suggestion(for: name, in: codec.schema))")
        }
        func number<T: FixedWidthInteger>(_ key: String, _: T.Type) throws(Problem) -> T? {
            guard let text = request.queryValue(key) else { return nil }
            guard let v = T(text) else { throw Problem(.invalidField, "query parameter \(key) must be an integer in range", pointer: "/" + key) }
            return v
        }
        let format = request.queryValue("format") ?? "binary"
        guard format == "hex" || format == "binary" else {
            throw Problem(.invalidField, "query parameter format must be hex or binary, got \"\(format.prefix(40))\"", pointer: "/format")
        }
        guard let id = try number("msg_id", UInt16.self) ?? client.session?.messageID(of: name) ?? VPPClient.fixedMessageID(of: name) else {
            if client.session != nil {
                throw Problem(.messageUnavailable, "\(name) is not offered by the connected VPP, so it has no id there; pass ?msg_id=N to encode it anyway")
            }
            throw Problem(.vppNotConnected, "\(name)'s message id is assigned by the running VPP, which is not connected; pass ?msg_id=N to encode offline")
        }
        let header = MessageHeader(messageID: id, clientIndex: try number("client_index", UInt32.self),
                                   context: try number("context", UInt32.self))
        let bytes: [UInt8]
        do throws(CodecError) {
            bytes = try codec.encode(json: request.body.isEmpty ? Array("{}".utf8) : request.body, as: name, header: header)
        } catch {
            throw Problem(input: error)
        }
        if format == "hex" {
            let hex = bytes.map { String(format: "%02x", $0) }.joined()
            return HTTPResponse(status: 200, contentType: "text/plain", body: hex + "\n", headers: [("X-VPP-Msg-Id", String(id))])
        }
        return HTTPResponse(status: 200, headers: [("Content-Type", "application/octet-stream"), ("X-VPP-Msg-Id", String(id))],
                            body: .bytes(bytes))
    }
}

/// Splits bytes captured from VPP's API socket into messages: each has a 16-byte header
/// whose bytes 8–11 are the big-endian payload length (socket_api.c; the rest of the header
/// is not meaningful, notes §1.2).
struct SocketFrames {
    /// The messages of the whole frames.
    let payloads: [[UInt8]]
    /// Why the capture ends inside a frame, when it does.
    let truncatedTail: String?

    /// The frames, or nil when the bytes are not frames: not a whole number of them, except
    /// that a capture cut short after at least two whole frames keeps those (one frame and
    /// a fragment is too likely to be a single raw message that only looks framed).
    static func split(_ bytes: [UInt8]) -> SocketFrames? {
        var out: [[UInt8]] = []
        var offset = 0
        var tail: String?
        while offset < bytes.count {
            let left = bytes.count - offset
            guard left >= 16 else {
                tail = "the capture ends inside a frame header (\(left) of 16 bytes)"
                break
            }
            let length = Int(bytes[offset + 8]) << 24 | Int(bytes[offset + 9]) << 16 | Int(bytes[offset + 10]) << 8 | Int(bytes[offset + 11])
            guard length >= 2 else { return nil }
            guard length <= left - 16 else {
                tail = "the capture ends inside a frame (\(left - 16) of its \(length) bytes)"
                break
            }
            out.append(Array(bytes[offset + 16..<offset + 16 + length]))
            offset += 16 + length
        }
        guard !out.isEmpty, tail == nil || out.count >= 2 else { return nil }
        return SocketFrames(payloads: out, truncatedTail: tail)
    }
}
