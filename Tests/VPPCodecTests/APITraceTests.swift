import Testing
import VPPCodec
import VPPJSON

/// Builds trace files the way VPP's `vl_msg_api_trace_save` writes them.
struct TraceWriter {
    var table: [(UInt64, String)] = []
    var records: [[UInt8]] = []

    /// vppinfra `serialize_likely_small_unsigned_integer` (src/vppinfra/serialize.h).
    static func likelySmall(_ x: UInt64) -> [UInt8] {
        var r = x
        if r < 1 << 7 { return [UInt8(1 + 2 * r)] }
        r -= 1 << 7
        if r < 1 << 14 { let v = UInt16(4 * r + 2); return [UInt8(v & 0xFF), UInt8(v >> 8)] }
        r -= 1 << 14
        if r < 1 << 29 { let v = UInt32(8 * r + 4); return (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        return [0] + (0..<8).map { UInt8((x >> (8 * UInt64($0))) & 0xFF) }
    }

    static func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    func bytes() -> [UInt8] {
        var t = Self.be32(table.count)
        for (id, name) in table { t += Self.likelySmall(id) + Self.likelySmall(UInt64(name.utf8.count)) + Array(name.utf8) }
        var out = Self.be32(records.count) + Self.be32(t.count) + [0] + t
        for r in records { out += Self.be32(r.count) + r }
        return out
    }
}

@Suite struct APITraceTests {
    @Test func decodesEveryRecordThroughTheTracesOwnMessageTable() throws {
        let codec = try #require(Fixtures.codec)
        var w = TraceWriter()
        w.table = [(23, "control_ping_51077d14"), (300, "sw_interface_set_flags_f5aec1b8"),
                   (20_000, "cli_inband_f8377302"),
                   (77, "sw_interface_dump_00000000"), (78, "no_such_message_12345678")]
        w.records = [
            [0, 23, 0, 0, 0, 1, 0, 0, 0, 9],
            [0x01, 0x2C, 0, 0, 0, 1, 0, 0, 0, 10, 0, 0, 0, 4, 0, 0, 0, 3],
            [0x4E, 0x20, 0, 0, 0, 1, 0, 0, 0, 11, 0, 0, 0, 2, 0x68, 0x69],
            [0, 77, 0, 0, 0, 1, 0, 0, 0, 12],
            [0, 78],
            [0, 99],
        ]
        let trace = try APITrace.parse(w.bytes())
        #expect(trace.messageTable[20_000] == "cli_inband_f8377302")
        var wide = TraceWriter()
        wide.table = [(5_000_000, "show_version_51077d14")]
        #expect(throws: CodecError.self) { try APITrace.parse(wide.bytes()) }
        let entries = codec.decode(trace: trace)
        #expect(entries.count == 6)
        #expect(try entries[0].result.get().jsonText == #"{"_msgname":"control_ping","_crc":"51077d14"}"#)
        #expect(try entries[0].result.get().header.context == 9)
        #expect(try entries[1].result.get().jsonText.hasSuffix(#""sw_if_index":4,"flags":["IF_STATUS_API_FLAG_ADMIN_UP","IF_STATUS_API_FLAG_LINK_UP"]}"#))
        #expect(try entries[2].result.get().jsonText.hasSuffix(#""cmd":"hi"}"#))
        #expect(throws: CodecError.self) { try entries[3].result.get() }
        if case .failure(let e) = entries[3].result { #expect(e.kind == .crcMismatch && e.reason.contains("aa610c27")) }
        if case .failure(let e) = entries[4].result { #expect(e.kind == .unknownMessage) }
        if case .failure(let e) = entries[5].result { #expect(e.kind == .unknownMessage && e.reason.contains("99")) }
    }

    @Test func largeIndexesUseEveryVarintWidth() throws {
        var w = TraceWriter()
        w.table = [(0, "a_00000000"), (127, "b_00000000"), (128, "c_00000000"), (16_511, "d_00000000"),
                   (16_512, "e_00000000"), (65_535, "f_00000000")]
        let trace = try APITrace.parse(w.bytes())
        #expect(trace.messageTable == [0: "a_00000000", 127: "b_00000000", 128: "c_00000000", 16_511: "d_00000000",
                                       16_512: "e_00000000", 65_535: "f_00000000"])
    }

    @Test func truncatedTracesAreErrorsNotCrashes() throws {
        var w = TraceWriter()
        w.table = [(23, "control_ping_51077d14")]
        w.records = [[0, 23, 0, 0, 0, 1, 0, 0, 0, 9]]
        let full = w.bytes()
        let recordStart = full.count - 10 - 4
        for cut in 0..<full.count {
            do {
                let t = try APITrace.parse(Array(full.prefix(cut)))
                // Past the table: no whole record, and a tail error unless the cut is exactly
                // between records (a valid, shorter trace).
                #expect(cut >= recordStart && t.records.isEmpty, "cut \(cut)")
                #expect((t.truncatedTail == nil) == (cut == recordStart), "cut \(cut)")
                if let tail = t.truncatedTail { #expect(tail.kind == .truncated) }
            } catch {
                #expect(cut < recordStart, "cut \(cut): \(error)")
                #expect(error.kind == .truncated || error.kind == .badLength, "cut \(cut): \(error)")
            }
        }
        // Records before a cut are kept and decoded; the cut is one last error entry.
        w.records = [[0, 23, 0, 0, 0, 1, 0, 0, 0, 9], [0, 23, 0, 0, 0, 1, 0, 0, 0, 10]]
        let two = w.bytes()
        let cutShort = try APITrace.parse(Array(two.dropLast(3)))
        #expect(cutShort.records.count == 1)
        let codec = try #require(Fixtures.codec)
        let entries = codec.decode(trace: cutShort)
        #expect(entries.count == 2)
        if case .success(let d) = entries[0].result { #expect(d.message.name == "control_ping") } else { Issue.record("first record lost") }
        if case .failure(let e) = entries[1].result { #expect(e.kind == .truncated && e.reason.contains("record[1]")) } else { Issue.record("no tail error") }
        #expect(APITrace.looksLikeTrace(full))
        #expect(!APITrace.looksLikeTrace([0, 23, 0, 0]))
    }
}
