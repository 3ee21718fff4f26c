import Testing
import VPPCodec
import VPPJSON
import VPPSchema
import VPPTestSupport
@testable import VPPClient

@Suite("Client building blocks")
struct UnitTests {
    @Test("the error table is VPP 26.06's: 143 codes from -1 UNSPECIFIED to -171")
    func errorTable() {
        #expect(VPPErrorCode.all.count == 143)
        #expect(VPPErrorCode.lookup(-1)?.name == "UNSPECIFIED")
        #expect(VPPErrorCode.lookup(-2)?.message == "Invalid sw_if_index")
        #expect(VPPErrorCode.lookup(-31)?.name == "INVALID_REGISTRATION")
        #expect(VPPErrorCode.lookup(-165)?.name == "EAGAIN")
        #expect(VPPErrorCode.lookup(-171)?.name == "INVALID_PREFIX_LENGTH")
        #expect(VPPErrorCode.lookup(name: "VNET_API_ERROR_NO_SUCH_ENTRY")?.code == -6)
        #expect(VPPErrorCode.lookup(-9999) == nil)
        #expect(VPPErrorCode.name(of: 7) == "UNKNOWN(7)")
        #expect(Set(VPPErrorCode.all.map(\.code)).count == 143)
    }

    @Test("retval is read from the top level of the canonical JSON only")
    func retvalScanner() {
        func retval(_ s: String) -> Int64? { RetvalScanner.topLevelInteger(Array(s.utf8), key: Array("retval".utf8)) }
        #expect(retval(#"{"_msgname":"x_reply","_crc":"12345678","retval":-2,"a":1}"#) == -2)
        #expect(retval(#"{"_msgname":"x","nested":{"retval":5},"s":"\"retval\":7","retval":0}"#) == 0)
        #expect(retval(#"{"_msgname":"x","nested":{"retval":5}}"#) == nil)
        #expect(retval(#"{"a":[{"retval":1}],"retval":165}"#) == 165)
        #expect(retval("{}") == nil)
    }

    @Test("reconnect delays grow exponentially, are capped, and stay within the jitter")
    func backoff() {
        let p = ReconnectPolicy(initialDelay: .milliseconds(100), maxDelay: .seconds(2), multiplier: 2, jitter: 0.25)
        #expect(p.delay(attempt: 0, random: 0.5) == .milliseconds(100))
        #expect(p.delay(attempt: 3, random: 0.5) == .milliseconds(800))
        #expect(p.delay(attempt: 30, random: 0.5) == .seconds(2))
        #expect(p.delay(attempt: 1000, random: 0.5) == .seconds(2))
        #expect(p.delay(attempt: 0, random: 0) == .milliseconds(75))
        #expect(p.delay(attempt: 30, random: 0.999_999) < .milliseconds(2501))
    }

    @Test("context offsets follow the header fields of each message kind")
    func contextOffsets() throws {
        let schema = Memclnt.schema
        func offset(_ n: String) -> Int? { schema.message(n).flatMap(MessageTable.contextOffset) }
        #expect(offset("control_ping") == 6)
        #expect(offset("control_ping_reply") == 2)
        #expect(offset("sockclnt_create") == 2)
        #expect(offset("sockclnt_create_reply") == 6)
        #expect(offset("memclnt_delete") == nil)
        let iface = try SchemaLoader.load(paths: [SharedData.api2606 + "/core/interface.api.json",
                                                  SharedData.api2606 + "/core/interface_types.api.json",
                                                  SharedData.api2606 + "/core/ethernet_types.api.json",
                                                  SharedData.api2606 + "/core/ip_types.api.json"])
        #expect(iface.message("sw_interface_event").flatMap(MessageTable.contextOffset) == nil)
        #expect(iface.message("sw_interface_details").flatMap(MessageTable.contextOffset) == 2)
    }

    @Test("availability: exact name_crc is available, another CRC is a mismatch, absent is missing")
    func availability() {
        let schema = Memclnt.schema
        let ping = schema.message("control_ping")!
        let table = MessageTable(entries: [
            (23, ping.nameCRC),
            (24, "control_ping_reply_deadbeef"),
            (99, "some_plugin_msg_01234567"),
        ], schema: schema)
        #expect(table.availability.status(of: "control_ping") == .available(id: 23))
        #expect(table.availability.status(of: "control_ping_reply")
            == .crcMismatch(schemaCRC: schema.message("control_ping_reply")!.crc, vppCRC: "deadbeef"))
        #expect(table.availability.status(of: "get_api_json") == .missing)
        #expect(table.availability.unknownToSchema == ["some_plugin_msg_01234567"])
        #expect(table.id(of: "control_ping") == 23)
        #expect(table.id(of: "control_ping_reply") == nil)
        #expect(table.inbound(24)?.decodable == false)
        #expect(table.inbound(24)?.contextOffset == 2)
        #expect(table.inbound(99)?.contextOffset == nil)
        #expect(table.inbound(5000) == nil)
    }

    @Test("the handshake messages have VPP's layouts")
    func handshakeLayouts() {
        let create = Handshake.sockclntCreate(context: 0x01020304, name: "gw")
        #expect(create.count == 70)
        #expect(Array(create[0..<8]) == [0, 15, 1, 2, 3, 4, UInt8(ascii: "g"), UInt8(ascii: "w")])
        var reply: [UInt8] = [0, 16, 0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0, 0x80, 0, 0, 5, 0, 2]
        for (id, name) in [(UInt16(23), "control_ping_51077d14"), (UInt16(700), "x_y_00000001")] {
            reply += [UInt8(id >> 8), UInt8(id & 0xff)]
            var n = Array(name.utf8)
            n += [UInt8](repeating: 0, count: 64 - n.count)
            reply += n
        }
        let parsed = Handshake.parseCreateReply(reply)
        #expect(parsed?.index == 0x8000_0005)
        #expect(parsed?.entries.map(\.nameCRC) == ["control_ping_51077d14", "x_y_00000001"])
        #expect(parsed?.entries.map(\.id) == [23, 700])
        #expect(Handshake.parseCreateReply(Array(reply.dropLast())) == nil)
        #expect(Handshake.sockclntDelete(id: 17, clientIndex: 0x8000_0005, context: 9)
            == [0, 17, 0x80, 0, 0, 5, 0, 0, 0, 9, 0x80, 0, 0, 5])
    }

    @Test("the built-in memclnt schema has all 28 fixed-id messages")
    func memclnt() {
        #expect(Memclnt.schema.messages.count == 28)
        for name in Memclnt.fixedIDs.keys { #expect(Memclnt.schema.message(name) != nil, "\(name)") }
        #expect(MessageTable.bootstrap.inbound(16)?.name == "sockclnt_create_reply")
    }

    @Test("a bounded channel hands over in order, and finishing with discard drops the backlog")
    func channel() async {
        let c = BufferedChannel<Int>()
        for i in 0..<10 { _ = c.produce { @Sendable q in q.append(i) } }
        var got: [Int] = []
        for _ in 0..<10 { if case .success(let v?) = await c.next() { got.append(v) } }
        #expect(got == Array(0..<10))
        async let waiter = c.next()
        try? await Task.sleep(for: .milliseconds(20))
        _ = c.produce { @Sendable q in q.append(42) }
        if case .success(let v) = await waiter { #expect(v == 42) } else { Issue.record("no value") }
        _ = c.produce { @Sendable q in q.append(1) }
        c.finish(.cancelled, discard: true)
        if case .failure(.cancelled) = await c.next() {} else { Issue.record("expected cancelled") }
    }
}
