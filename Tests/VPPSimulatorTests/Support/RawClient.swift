#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import VPPCodec
import VPPJSON
import VPPSchema

/// A deliberately small VPP API socket client for the simulator's tests: it frames, encodes and
/// decodes with the codec and nothing else, so the tests check the simulator against the wire
/// protocol rather than against the project's real client.
final class RawClient {
    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    /// One received message.
    struct Message {
        let id: UInt16
        let payload: [UInt8]
        /// Bytes 0-7 and 12-15 of its header (VPP leaves junk there).
        let headerJunk: [UInt8]
    }

    let fd: Int32
    let codec: Codec
    /// name → id from the handshake's message table.
    private(set) var ids: [String: UInt16] = [:]
    private(set) var names: [UInt16: String] = [:]
    /// The handle the simulator gave (`sockclnt_create_reply.index`).
    private(set) var clientIndex: UInt32 = 0
    private var buffer: [UInt8] = []

    init(path: String, codec: Codec) throws {
        #if canImport(Glibc)
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
        fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw Failure("socket failed") }
        self.codec = codec
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &addr.sun_path) { p in
            for (i, b) in bytes.enumerated() where i < p.count - 1 { p[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw Failure("connect \(path) failed: errno \(errno)")
        }
    }

    deinit { close(fd) }

    /// Half of a clean shutdown: stop writing and reading.
    func disconnect() { shutdown(fd, Int32(SHUT_RDWR)) }

    // MARK: sending

    /// Sends one framed payload (q and gc_mark_timestamp zero, like vpp_papi).
    func sendPayload(_ payload: [UInt8]) throws {
        var frame = [UInt8](repeating: 0, count: 16)
        let n = UInt32(payload.count)
        frame[8] = UInt8(n >> 24); frame[9] = UInt8((n >> 16) & 0xff); frame[10] = UInt8((n >> 8) & 0xff); frame[11] = UInt8(n & 0xff)
        try sendBytes(frame + payload)
    }

    /// Writes raw bytes (for split-frame tests).
    func sendBytes(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { p in Glibc.send(fd, p.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure("send failed: errno \(errno)") }
            off += n
        }
    }

    /// Encodes `fields` as `name` with this client's id table and client_index.
    func encode(_ name: String, _ fields: JSONValue = .object(JSONObject()), context: UInt32 = 1,
                clientIndex: UInt32? = nil) throws -> [UInt8] {
        guard let id = ids[name] ?? (name == "sockclnt_create" ? 15 : nil) else { throw Failure("no id for \(name)") }
        return try codec.encode(fields, as: name, header: MessageHeader(messageID: id, clientIndex: clientIndex ?? self.clientIndex, context: context))
    }

    func send(_ name: String, _ fields: JSONValue = .object(JSONObject()), context: UInt32 = 1, clientIndex: UInt32? = nil) throws {
        try sendPayload(try encode(name, fields, context: context, clientIndex: clientIndex))
    }

    // MARK: receiving

    /// The next message, or nil when none arrives within `timeout` (or the socket closed).
    func receive(timeout: Duration = .seconds(5)) throws -> Message? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if buffer.count >= 16 {
                var len = 0
                for i in 8..<12 { len = len << 8 | Int(buffer[i]) }
                if buffer.count >= 16 + len {
                    let payload = Array(buffer[16..<16 + len])
                    let junk = Array(buffer[0..<8]) + Array(buffer[12..<16])
                    buffer.removeFirst(16 + len)
                    guard payload.count >= 2 else { throw Failure("payload without a message id") }
                    return Message(id: UInt16(payload[0]) << 8 | UInt16(payload[1]), payload: payload, headerJunk: junk)
                }
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return nil }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ms = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            guard poll(&p, 1, ms) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { return nil }
            buffer.append(contentsOf: chunk[0..<n])
        }
    }

    /// True when the server closed the connection within `timeout`.
    func waitForClose(timeout: Duration = .seconds(5)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 50) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let n = read(fd, &chunk, chunk.count)
            if n <= 0 { return true }
        }
        return false
    }

    /// Decodes a message by its id.
    func decode(_ m: Message) throws -> (name: String, json: JSONValue, header: MessageHeader) {
        guard let name = names[m.id] ?? (m.id == 16 ? "sockclnt_create_reply" : nil) else { throw Failure("unknown id \(m.id)") }
        let d = try codec.decode(m.payload, as: name)
        return (name, try JSONParser.parse(d.json), d.header)
    }

    /// The next message decoded; throws on timeout.
    func next(timeout: Duration = .seconds(5)) throws -> (name: String, json: JSONValue, header: MessageHeader) {
        guard let m = try receive(timeout: timeout) else { throw Failure("no message within \(timeout)") }
        return try decode(m)
    }

    /// `sockclnt_create`: learns the id table and the client index.
    @discardableResult
    func handshake(name: String = "test") throws -> JSONValue {
        try send("sockclnt_create", .object(JSONObject([("name", .string(name))])), context: 0x1234)
        guard let m = try receive() else { throw Failure("no sockclnt_create_reply") }
        guard m.id == 16 else { throw Failure("expected id 16, got \(m.id)") }
        let (_, json, header) = try decode(m)
        guard header.context == 0x1234 else { throw Failure("context not echoed") }
        ids = [:]
        names = [:]
        for e in json["message_table"]?.arrayValue ?? [] {
            guard let key = e["name"]?.stringValue, let id = e["index"]?.numberValue?.uint64Value,
                  let msg = codec.schema.message(nameCRC: key) else { continue }
            ids[msg.name] = UInt16(id)
            names[UInt16(id)] = msg.name
        }
        clientIndex = UInt32(json["index"]?.numberValue?.uint64Value ?? 0)
        return json
    }

    /// Sends a request and returns the next message (its reply).
    func call(_ name: String, _ fields: JSONValue = .object(JSONObject()), context: UInt32 = 7) throws -> JSONValue {
        try send(name, fields, context: context)
        let r = try next()
        guard r.header.context == context || r.header.context == nil else { throw Failure("context \(String(describing: r.header.context)) != \(context)") }
        return r.json
    }

    /// A dump followed by control_ping; returns the details.
    func dump(_ name: String, _ fields: JSONValue = .object(JSONObject()), context: UInt32 = 9) throws -> [JSONValue] {
        try send(name, fields, context: context)
        try send("control_ping", context: context)
        var out: [JSONValue] = []
        while true {
            let r = try next()
            if r.name == "control_ping_reply" { return out }
            out.append(r.json)
        }
    }
}

/// JSON literal shorthand for tests.
func obj(_ members: (String, JSONValue)...) -> JSONValue {
    .object(JSONObject(members.map { (key: $0.0, value: $0.1) }))
}

func num(_ v: Int64) -> JSONValue { .number(JSONNumber(integer: v)) }

extension JSONValue {
    var int: Int64? { numberValue?.int64Value }
}
