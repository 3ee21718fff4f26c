import Testing
import VPPCodec
import VPPJSON
import VPPSchema
import VPPTestSupport

/// Throws random and mutated inputs at the codec: every result must be a value or a
/// `CodecError` (a crash or an out-of-bounds read would kill the test process), and any
/// decoded message must be valid JSON. Re-encoding decoded JSON may lose bytes the canonical
/// form cannot carry (vectors README §3.9: junk after a string's NUL, unused union bytes,
/// bool bytes other than 0/1), but once normalised the form must be a fixed point:
/// decode(encode(j)) == j for every j the codec itself produced from encoded bytes.
@Suite struct FuzzTests {
    static let rounds = 60_000

    @Test func mutatedAndRandomBinaryInputsNeverCrash() throws {
        let codec = try #require(Fixtures.codec)
        let vectors = try Vector.loadPublic()
        let names = codec.schema.messageNames
        var rng = SplitMix64(state: 0x5EED_0001)
        var decoded = 0, rejected = 0, reencoded = 0
        for round in 0..<Self.rounds {
            var bytes: [UInt8]
            let name: String
            if round % 10 == 0 {
                // Random bytes as a random message of the schema.
                name = names[Int.random(in: 0..<names.count, using: &rng)]
                bytes = (0..<Int.random(in: 0..<96, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                let v = vectors[Int.random(in: 0..<vectors.count, using: &rng)]
                name = v.message
                bytes = v.bytes
                mutate(&bytes, using: &rng)
            }
            do {
                let d = try codec.decode(bytes, as: name)
                decoded += 1
                let value = try JSONParser.parse(d.json)
                if let again = try? codec.encode(value, header: d.header) {
                    reencoded += 1
                    let d2 = try codec.decode(again, as: name)
                    let third = try codec.encode(try JSONParser.parse(d2.json), header: d2.header)
                    #expect(third == again, "round \(round): \(name) is not a fixed point")
                }
            } catch let error as CodecError {
                _ = error
                rejected += 1
            }
        }
        #expect(decoded + rejected == Self.rounds)
        #expect(decoded > Self.rounds / 10 && rejected > Self.rounds / 10)
        #expect(reencoded > 0)
    }

    @Test func mutatedAndRandomJSONInputsNeverCrash() throws {
        let codec = try #require(Fixtures.codec)
        let vectors = try Vector.loadPublic()
        var rng = SplitMix64(state: 0x5EED_0002)
        var encoded = 0, rejected = 0
        for round in 0..<Self.rounds {
            let v = vectors[Int.random(in: 0..<vectors.count, using: &rng)]
            let input: [UInt8]
            if round % 2 == 0 {
                // Text mutations: bytes flipped, inserted, deleted, cut.
                var text = Array(v.json.jsonText.utf8)
                mutate(&text, using: &rng)
                input = text
            } else {
                // Structural mutations: a field replaced by a value of another type or range.
                input = Array(mutateValue(v.json, depth: 0, using: &rng).jsonText.utf8)
            }
            do {
                let bytes = try codec.encode(json: input, header: MessageHeader(messageID: v.msgID, clientIndex: 0, context: 1))
                encoded += 1
                _ = try codec.decode(bytes, as: v.message)
            } catch {
                #expect(!error.reason.isEmpty)
                rejected += 1
            }
        }
        #expect(encoded + rejected == Self.rounds)
        #expect(encoded > 0 && rejected > Self.rounds / 10)
    }

    func mutate(_ bytes: inout [UInt8], using rng: inout SplitMix64) {
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            switch Int.random(in: 0..<6, using: &rng) {
            case 0 where !bytes.isEmpty:
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 1 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = [0, 0xFF, 0x7F, 0x80, 0x22, 0x5C].randomElement(using: &rng) ?? 0
            case 2:
                bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
            case 3 where !bytes.isEmpty:
                bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng))
            case 4:
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            default:
                bytes += (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            }
        }
    }

    func mutateValue(_ v: JSONValue, depth: Int, using rng: inout SplitMix64) -> JSONValue {
        let replacements: [JSONValue] = [
            .null, .bool(true), .string("x"), .string(""), .string("0x0g"), .string("::ffff:1.2.3.4/129"),
            .number(JSONNumber(text: "-1")), .number(JSONNumber(text: "1e999")), .number(JSONNumber(text: "18446744073709551616")),
            .number(JSONNumber(text: "0.5")), .array([]), .array([.string("IF_STATUS_API_FLAG_ADMIN_UP"), .number(JSONNumber(text: "4"))]),
            .object(JSONObject()), .object(JSONObject([("bogus", .null)])),
        ]
        switch v {
        case .object(var o) where !o.members.isEmpty:
            let i = Int.random(in: 0..<o.members.count, using: &rng)
            if o.members[i].key == "_msgname" || o.members[i].key == "_crc", Bool.random(using: &rng) { return v }
            if depth < 4, Bool.random(using: &rng) {
                o.members[i].value = mutateValue(o.members[i].value, depth: depth + 1, using: &rng)
            } else if Int.random(in: 0..<8, using: &rng) == 0 {
                o.members.remove(at: i)
            } else {
                o.members[i].value = replacements.randomElement(using: &rng) ?? .null
            }
            return .object(o)
        case .array(var a) where !a.isEmpty:
            let i = Int.random(in: 0..<a.count, using: &rng)
            if Bool.random(using: &rng) { a[i] = mutateValue(a[i], depth: depth + 1, using: &rng) } else { a.remove(at: i) }
            return .array(a)
        default:
            return replacements.randomElement(using: &rng) ?? .null
        }
    }
}
