import Foundation
import Testing
import VPPJSON
import VPPSchema
@testable import VPPSimulator

@Suite("Socket protocol", .serialized)
struct ProtocolTests {
    /// Binding must never cut a live VPP (or another simulator) off its socket path, while a
    /// stale socket file is replaced as VPP's clib_socket_init does; stopping removes the
    /// file only while it is still the simulator's own.
    @Test func aSocketPathThatAProcessServesIsRefusedAndAStaleOneReplaced() async throws {
        try await Fixture.with(folders: nil) { first in
            let path = first.socketPath
            let second = try VPPSimulator(configuration: SimulatorConfiguration(socketPath: path, apiDirectories: []))
            #expect {
                try second.start()
            } throws: { error in
                guard case SimulatorError.socketInUse(let p)? = error as? SimulatorError else { return false }
                return p == path && "\(error)".contains("refusing")
            }
            _ = try Fixture.client(first) // still reachable
            // A successor that replaced the file keeps it when the first one stops.
            unlink(path)
            let third = try VPPSimulator(configuration: SimulatorConfiguration(socketPath: path, apiDirectories: []))
            try third.start()
            await first.stop()
            _ = try Fixture.client(third)
            await third.stop()
            #expect(!FileManager.default.fileExists(atPath: path))
        }
        // A socket file nobody accepts on (a crashed VPP's) is replaced.
        let stale = Fixture.socketPath()
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { p in for (i, b) in stale.utf8.enumerated() { p[i] = b } }
        let bound = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        close(fd)
        let sim = try VPPSimulator(configuration: SimulatorConfiguration(socketPath: stale, apiDirectories: []))
        try sim.start()
        _ = try RawClient(path: stale, codec: Fixture.codec(for: sim))
        await sim.stop()
    }

    @Test func handshakeUsesFixedIDsAndReturnsEveryMessage() async throws {
        try await Fixture.with { sim in
            let c = try RawClient(path: sim.socketPath, codec: Fixture.codec(for: sim))
            try c.send("sockclnt_create", obj(("name", .string("probe"))), context: 0xabcd)
            let m = try #require(try c.receive())
            #expect(m.id == 16)
            let (_, json, header) = try c.decode(m)
            #expect(header.context == 0xabcd)
            #expect(header.clientIndex == 0)
            #expect(json["response"]?.int == 0)
            let index = try #require(json["index"]?.numberValue?.uint64Value)
            #expect(index & 0x8000_0000 != 0)
            #expect(index == 0x8000_0001)  // pool slot 0 is the listener's
            let table = try #require(json["message_table"]?.arrayValue)
            #expect(json["count"]?.int == Int64(table.count))
            #expect(table.count == sim.schema.messages.count)
            var ids: [String: Int64] = [:]
            for e in table { ids[e["name"]?.stringValue ?? ""] = e["index"]?.int }
            for (i, name) in MessageTable.memclntOrder.enumerated() {
                let key = try #require(sim.schema.messages[name]).nameCRC
                #expect(ids[key] == Int64(i + 1), "\(name)")
            }
            #expect(ids["sockclnt_create_455fb9c4"] == 15)
            #expect(ids["sockclnt_create_reply_35166268"] == 16)
            #expect(ids["control_ping_51077d14"] == 23)
            #expect(ids["get_api_json_51077d14"] == 27)
            let expected = sim.messageTable
            for m in sim.schema.messages.values {
                #expect(ids[m.nameCRC] == expected.ids[m.name].map(Int64.init), "\(m.name)")
            }
            #expect(Set(ids.values).count == ids.count)
        }
    }

    @Test func idsFollowModuleRegistrationOrder() async throws {
        try await Fixture.with { sim in
            let t = sim.messageTable
            var next: UInt16 = 29
            for base in t.moduleBases.dropFirst() {
                #expect(base.firstID == next, "\(base.module)")
                let module = try #require(sim.schema.modules.first { $0.name == base.module })
                for (i, name) in module.messages.enumerated() {
                    #expect(t.ids[name] == base.firstID + UInt16(i), "\(name)")
                }
                next = base.firstID + UInt16(base.count)
            }
            let order = t.moduleBases.map(\.module)
            #expect(order.first == "memclnt")
            let loadOrder = sim.schema.modules.map(\.name).filter { order.contains($0) && $0 != "memclnt" }
            #expect(Array(order.dropFirst()) == loadOrder)
        }
    }

    @Test func reorderedRestartGivesOtherIDs() async throws {
        try await Fixture.with { sim in
            let c1 = try Fixture.client(sim)
            let before = c1.ids
            let pid = try c1.call("control_ping")["vpe_pid"]?.int
            sim.restart(reorderModules: true)
            #expect(c1.waitForClose())
            let c2 = try Fixture.client(sim)
            #expect(c2.ids["control_ping"] == 23)
            #expect(c2.ids["sockclnt_create"] == 15)
            #expect(c2.ids["sw_interface_dump"] != before["sw_interface_dump"])
            #expect(c2.ids["cu_up_gtp_error_ind_event"] != before["cu_up_gtp_error_ind_event"])
            let newPID = try c2.call("control_ping")["vpe_pid"]?.int
            #expect(newPID != pid)
            // The new ids work.
            let details = try c2.dump("sw_interface_dump")
            #expect(details.count == 3)
        }
    }

    @Test func customModuleOrderPutsModulesFirst() async throws {
        try await Fixture.with(configure: { $0.moduleOrder = .custom(["testgovpp", "interface"]) }) { sim in
            let t = sim.messageTable
            #expect(t.moduleBases.map(\.module).prefix(3) == ["memclnt", "testgovpp", "interface"])
            #expect(t.ids["cu_up_gtp_error_ind_event"] == 29)
        }
    }

    @Test func controlPingReportsPIDAndEchoesContext() async throws {
        try await Fixture.with(configure: { $0.vpePID = 4242 }) { sim in
            let c = try Fixture.client(sim)
            try c.send("control_ping", context: 0xdead_beef)
            let r = try c.next()
            #expect(r.name == "control_ping_reply")
            #expect(r.header.context == 0xdead_beef)
            #expect(r.json["retval"]?.int == 0)
            #expect(r.json["vpe_pid"]?.int == 4242)
            sim.vpePID = 77
            #expect(try c.call("control_ping")["vpe_pid"]?.int == 77)
        }
    }

    @Test func showVersionAnswers() async throws {
        try await Fixture.with { sim in
            let c = try Fixture.client(sim)
            let r = try c.call("show_version")
            #expect(r["retval"]?.int == 0)
            #expect(r["program"]?.stringValue == "vpe")
            #expect(r["version"]?.stringValue == "26.06-release")
        }
    }

    @Test func getAPIJSONServesTheLoadedModules() async throws {
        try await Fixture.with { sim in
            let c = try Fixture.client(sim)
            let r = try c.call("get_api_json")
            #expect(r["retval"]?.int == 0)
            let text = try #require(r["json"]?.stringValue)
            #expect(text.hasPrefix("[\n"))
            var loader = SchemaLoader()
            loader.add(json: Array(text.utf8), source: "get_api_json")
            let schema = try loader.build()
            let memclnt = sim.schema.messages.values.filter { $0.module == "memclnt" }.count
            #expect(memclnt > 0)
            #expect(schema.messages.count == sim.schema.messages.count - memclnt, "every module but memclnt")
            #expect(schema.messages["sockclnt_create"] == nil)
            #expect(schema.messages["cu_up_gtp_error_ind_event"]?.crc == "6ce619fe")
            #expect(schema.messages["sw_interface_details"] == sim.schema.messages["sw_interface_details"])
        }
    }

    @Test func outgoingHeadersCarryJunkOutsideDataLength() async throws {
        try await Fixture.with { sim in
            let c = try Fixture.client(sim)
            var sawJunk = false
            for i in 0..<32 {
                try c.send("control_ping", context: UInt32(i))
                let m = try #require(try c.receive())
                #expect(try c.decode(m).header.context == UInt32(i))
                if m.headerJunk.contains(where: { $0 != 0 }) { sawJunk = true }
            }
            #expect(sawJunk)
        }
    }

    @Test func reassemblesSplitFramesAndPipelinedRequests() async throws {
        try await Fixture.with { sim in
            let c = try Fixture.client(sim)
            var bytes: [UInt8] = []
            for i in 0..<50 {
                let p = try c.encode("control_ping", context: UInt32(1000 + i))
                let n = UInt32(p.count)
                bytes += [0, 0, 0, 0, 0, 0, 0, 0, UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff), 0, 0, 0, 0] + p
            }
            var offset = 0
            var step = 1
            while offset < bytes.count {
                let end = min(bytes.count, offset + step)
                try c.sendBytes(Array(bytes[offset..<end]))
                offset = end
                step = step % 37 + 3
                if offset % 5 == 0 { try await Task.sleep(for: .milliseconds(1)) }
            }
            for i in 0..<50 {
                let r = try c.next()
                #expect(r.name == "control_ping_reply")
                #expect(r.header.context == UInt32(1000 + i))
            }
        }
    }

    @Test func unknownIDGetsNoReplyAndTheConnectionKeepsWorking() async throws {
        try await Fixture.with { sim in
            let c = try Fixture.client(sim)
            try c.sendPayload([0xff, 0xf0, 0, 0, 0, 0, 0, 0, 0, 1])
            try c.sendPayload([0x00])  // shorter than a message id
            #expect(try c.receive(timeout: .milliseconds(200)) == nil)
            #expect(try c.call("control_ping")["retval"]?.int == 0)
            #expect(sim.receivedCount("<unknown>") == 1)
        }
    }

    @Test func badClientIndexGetsNoReply() async throws {
        try await Fixture.with { sim in
            let c = try Fixture.client(sim)
            for bad: UInt32 in [0, 5, 0x8000_0000, 0x8000_0063, c.clientIndex & 0x7fff_ffff] {
                try c.send("control_ping", context: 1, clientIndex: bad)
                try c.send("show_version", context: 2, clientIndex: bad)
            }
            #expect(try c.receive(timeout: .milliseconds(200)) == nil)
            #expect(try c.call("control_ping")["retval"]?.int == 0)
        }
    }

    @Test func replyGoesToTheClientNamedByClientIndex() async throws {
        try await Fixture.with { sim in
            let a = try Fixture.client(sim, name: "a")
            let b = try Fixture.client(sim, name: "b")
            try a.send("control_ping", context: 55, clientIndex: b.clientIndex)
            #expect(try a.receive(timeout: .milliseconds(200)) == nil)
            #expect(try b.next().header.context == 55)
        }
    }

    @Test func truncatedMessageIsDroppedAndTheConnectionKeepsWorking() async throws {
        try await Fixture.with { sim in
            let c = try Fixture.client(sim)
            let full = try c.encode("sw_interface_set_flags", obj(("sw_if_index", num(1)), ("flags", num(1))))
            try c.sendPayload(Array(full.dropLast(3)))
            // A variable string that claims more bytes than sent.
            var cli = try c.encode("cli_inband", obj(("cmd", .string("show version"))))
            cli.removeLast(4)
            try c.sendPayload(cli)
            #expect(try c.receive(timeout: .milliseconds(200)) == nil)
            // Longer than needed is accepted.
            try c.sendPayload(try c.encode("control_ping", context: 3) + [1, 2, 3])
            #expect(try c.next().header.context == 3)
            #expect(sim.receivedCount("sw_interface_set_flags") == 1)
        }
    }

    @Test func sockclntDeleteRepliesOneAndCloses() async throws {
        try await Fixture.with { sim in
            let c = try Fixture.client(sim)
            let r = try c.call("sockclnt_delete", obj(("index", num(Int64(c.clientIndex)))))
            #expect(r["response"]?.int == 1)
            #expect(c.waitForClose())
            let d = try Fixture.client(sim)
            #expect(d.clientIndex == c.clientIndex)  // the slot is free again
            let bad = try d.call("sockclnt_delete", obj(("index", num(0x8000_0063))))
            #expect(bad["response"]?.int == -1)
        }
    }
}
