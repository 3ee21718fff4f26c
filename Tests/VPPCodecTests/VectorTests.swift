import Foundation
import Testing
import VPPCodec
import VPPJSON
import VPPSchema
import VPPTestSupport

/// One line of `vectors/public.jsonl`.
struct Vector: Sendable, CustomStringConvertible {
    let index: Int
    let message: String
    let crc: String
    let msgID: UInt16
    let clientIndex: UInt32?
    let context: UInt32?
    let json: JSONValue
    let bytes: [UInt8]
    let omittedFields: [String]

    var description: String { "#\(index) \(message)" }

    static func loadPublic() throws -> [Vector] {
        let text = try String(contentsOfFile: SharedData.publicVectors, encoding: .utf8)
        return try text.split(separator: "\n").enumerated().map { i, line in
            let v = try JSONParser.parse(String(line))
            guard let o = v.objectValue, let message = o["message"]?.stringValue, let crc = o["crc"]?.stringValue,
                  let id = o["msg_id"]?.numberValue?.uint64Value, let json = o["json"], let hex = o["hex"]?.stringValue,
                  let bytes = hexToBytes(hex) else {
                throw VectorFormatError(line: i + 1)
            }
            return Vector(index: i + 1, message: message, crc: crc, msgID: UInt16(id),
                          clientIndex: o["client_index"]?.numberValue?.uint64Value.map { UInt32($0) },
                          context: o["context"]?.numberValue?.uint64Value.map { UInt32($0) },
                          json: json, bytes: bytes,
                          omittedFields: o["omitted_fields"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
    }
}

struct VectorFormatError: Error { let line: Int }

func hexToBytes(_ s: String) -> [UInt8]? {
    let u = Array(s.utf8)
    guard u.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    var i = 0
    while i < u.count {
        guard let h = hexValue(u[i]), let l = hexValue(u[i + 1]) else { return nil }
        out.append(h << 4 | l)
        i += 2
    }
    return out
}

func toHex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

/// Numbers compare numerically (the vectors README §3.2), everything else structurally.
func jsonEqual(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.number(let x), .number(let y)):
        if let xi = x.exactInteger, let yi = y.exactInteger, x.isPlainInteger && y.isPlainInteger {
            return xi == yi
        }
        guard let xd = x.doubleValue, let yd = y.doubleValue else { return false }
        return xd == yd && xd.sign == yd.sign
    case (.array(let x), .array(let y)):
        return x.count == y.count && zip(x, y).allSatisfy { jsonEqual($0, $1) }
    case (.object(let x), .object(let y)):
        return x.count == y.count && x.members.allSatisfy { m in y[m.key].map { jsonEqual(m.value, $0) } ?? false }
    default:
        return a == b
    }
}

/// Removes a dotted path (`interface.user_instance`) from a JSON object.
func removing(_ path: [Substring], from v: JSONValue) -> JSONValue {
    guard case .object(var o) = v, let head = path.first else { return v }
    if path.count == 1 {
        o.members.removeAll { $0.key == head }
    } else if let i = o.members.firstIndex(where: { $0.key == head }) {
        o.members[i].value = removing(Array(path.dropFirst()), from: o.members[i].value)
    }
    return .object(o)
}

enum Fixtures {
    static let codec: Codec? = {
        guard let schema = try? SchemaLoader.load(paths: SharedData.allAPIFolders) else { return nil }
        return Codec(schema: schema)
    }()
}

@Suite struct VectorTests {
    @Test func decodesEveryPublicVectorToItsCanonicalJSON() throws {
        let codec = try #require(Fixtures.codec)
        let vectors = try Vector.loadPublic()
        #expect(vectors.count == 154)
        for v in vectors {
            let decoded = try codec.decode(v.bytes, as: v.message)
            let value = try JSONParser.parse(decoded.json)
            #expect(jsonEqual(value, v.json), "\(v): got \(decoded.jsonText)\n expected \(v.json.jsonText)")
            // The text itself matches too: same key order, same number spelling.
            #expect(decoded.jsonText == v.json.jsonText, "\(v)")
            #expect(decoded.header.messageID == v.msgID, "\(v)")
            #expect(decoded.header.clientIndex == v.clientIndex, "\(v)")
            #expect(decoded.header.context == v.context, "\(v)")
            #expect(decoded.trailingBytes == 0, "\(v)")
            #expect(decoded.message.crc == v.crc)
        }
    }

    @Test func encodesEveryPublicVectorToItsExactBytes() throws {
        let codec = try #require(Fixtures.codec)
        for v in try Vector.loadPublic() {
            let header = MessageHeader(messageID: v.msgID, clientIndex: v.clientIndex, context: v.context)
            let bytes = try codec.encode(v.json, header: header)
            #expect(toHex(bytes) == toHex(v.bytes), "\(v)")
        }
    }

    @Test func encodesVectorsWithOmittedFieldsFromTheirDefaults() throws {
        let codec = try #require(Fixtures.codec)
        let withOmissions = try Vector.loadPublic().filter { !$0.omittedFields.isEmpty }
        #expect(!withOmissions.isEmpty)
        for v in withOmissions {
            var json = v.json
            for path in v.omittedFields { json = removing(path.split(separator: "."), from: json) }
            let header = MessageHeader(messageID: v.msgID, clientIndex: v.clientIndex, context: v.context)
            let bytes = try codec.encode(json, header: header)
            #expect(toHex(bytes) == toHex(v.bytes), "\(v) without \(v.omittedFields)")
        }
    }

    @Test func vlaLengthFieldsMayBeLeftOutOfTheJSON() throws {
        let codec = try #require(Fixtures.codec)
        for v in try Vector.loadPublic() where v.message == "test_vla" || v.message == "l2_macs_event" || v.message == "cu_up_gtp_error_ind_event" {
            let lengthField = ["test_vla": "count", "l2_macs_event": "n_macs", "cu_up_gtp_error_ind_event": "raw_msg_len"][v.message] ?? ""
            let json = removing([Substring(lengthField)], from: v.json)
            let bytes = try codec.encode(json, header: MessageHeader(messageID: v.msgID, clientIndex: v.clientIndex, context: v.context))
            #expect(bytes == v.bytes, "\(v)")
        }
    }
}
