import VPPJSON
import VPPSchema

/// A binary API trace file as written by VPP's `api trace save <file>`.
///
/// Layout (`vl_msg_api_trace_save`, src/vlibapi/api_shared.c): a packed header
/// `{u32 nitems (BE), u32 msgtbl_size (BE), u8 wrapped}`; the serialized message table
/// (`vl_api_serialize_message_table`: u32 count (BE), then per entry the message index as a
/// vppinfra "likely small" varint and the `name_crc` as a varint-length string); then per
/// record a u32 length (BE) and the message bytes exactly as they crossed the API (network
/// order). The ids in the records are those of the VPP that wrote the file, so each record is
/// decoded through the file's own table, as `api trace replay` does (vlib_api_cli.c).
public struct APITrace: Sendable {
    /// True when the trace ring wrapped (older messages were overwritten).
    public let wrapped: Bool
    /// The item count the header declares (null entries are skipped when writing, so the
    /// file may hold fewer records).
    public let declaredCount: Int
    /// The writer's message table: id → `name_crc`.
    public let messageTable: [UInt16: String]
    /// The raw records in file order.
    public let records: [[UInt8]]
    /// Why the file ends inside a record (a copy cut short, a trace still being written):
    /// the whole records before it are kept, nil when the file ends between records.
    public let truncatedTail: CodecError?

    /// Reads a trace file; an inconsistent header or table is an error, never a crash, and a
    /// file cut inside a record keeps the records before the cut (`truncatedTail`).
    public static func parse(_ bytes: [UInt8]) throws(CodecError) -> APITrace {
        var r = TraceReader(bytes: bytes)
        let nitems = try r.u32BE("header.nitems")
        let tableSize = Int(try r.u32BE("header.msgtbl_size"))
        let wrapped = try r.byte("header.wrapped") != 0
        guard tableSize <= bytes.count - r.offset else {
            throw CodecError(.badLength, path: "", reason: "trace message table of \(tableSize) bytes runs past the end of the file")
        }
        var table = TraceReader(bytes: Array(bytes[r.offset..<r.offset + tableSize]))
        r.offset += tableSize
        let count = try table.u32BE("table.count")
        var messageTable: [UInt16: String] = [:]
        for i in 0..<count {
            let id = try table.likelySmallUnsigned("table[\(i)].index")
            let nameLength = try table.likelySmallUnsigned("table[\(i)].name length")
            let name = try table.bytes(Int(clamping: nameLength), "table[\(i)].name")
            guard id <= UInt64(UInt16.max) else {
                throw CodecError(.outOfRange, path: "", reason: "trace table entry \(i) has message id \(id)")
            }
            messageTable[UInt16(id)] = String(decoding: name, as: UTF8.self)
        }
        var records: [[UInt8]] = []
        var tail: CodecError?
        while r.offset < bytes.count {
            do throws(CodecError) {
                let length = Int(try r.u32BE("record[\(records.count)].length"))
                records.append(try r.bytes(length, "record[\(records.count)]"))
            } catch {
                tail = error
                break
            }
        }
        return APITrace(wrapped: wrapped, declaredCount: Int(nitems), messageTable: messageTable, records: records,
                        truncatedTail: tail)
    }

    /// Quick check used to tell a trace file from a stream of socket frames.
    public static func looksLikeTrace(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 13 else { return false }
        let tableSize = Int(bytes[4]) << 24 | Int(bytes[5]) << 16 | Int(bytes[6]) << 8 | Int(bytes[7])
        return bytes[8] <= 1 && tableSize >= 4 && tableSize <= bytes.count - 9
    }
}

/// One record of a trace, decoded (or why not).
public struct TraceEntry: Sendable {
    /// Position in the file, from 0.
    public let index: Int
    /// The record's `_vl_msg_id` in the writer's numbering.
    public let messageID: UInt16?
    /// The writer's `name_crc` for that id.
    public let nameCRC: String?
    /// The decoded message or the reason it could not be decoded.
    public let result: Result<DecodedMessage, CodecError>
}

extension Codec {
    /// Decodes every record of a trace through the trace's own message table. A message whose
    /// `name_crc` the schema lacks is an error for that record only (a CRC mismatch is named as
    /// such: the layouts differ, so guessing would mislead).
    /// A truncated tail (`APITrace.truncatedTail`) becomes a last entry carrying its error.
    public func decode(trace: APITrace) -> [TraceEntry] {
        var entries = trace.records.enumerated().map { i, record in
            guard record.count >= 2 else {
                return TraceEntry(index: i, messageID: nil, nameCRC: nil,
                                  result: .failure(CodecError(.truncated, path: "", reason: "record \(i) is shorter than a message id")))
            }
            let id = UInt16(record[0]) << 8 | UInt16(record[1])
            guard let nameCRC = trace.messageTable[id] else {
                return TraceEntry(index: i, messageID: id, nameCRC: nil,
                                  result: .failure(CodecError(.unknownMessage, path: "", reason: "message id \(id) is not in the trace's message table")))
            }
            return TraceEntry(index: i, messageID: id, nameCRC: nameCRC, result: decode(record, nameCRC: nameCRC))
        }
        if let tail = trace.truncatedTail {
            entries.append(TraceEntry(index: trace.records.count, messageID: nil, nameCRC: nil, result: .failure(tail)))
        }
        return entries
    }

    /// Decodes bytes as the message VPP's table calls `name_crc`.
    public func decode(_ bytes: [UInt8], nameCRC: String) -> Result<DecodedMessage, CodecError> {
        if let m = schema.message(nameCRC: nameCRC) {
            return Result { () throws(CodecError) -> DecodedMessage in try decode(bytes, as: m.name) }
        }
        let (name, crc) = splitNameCRC(nameCRC)
        if let m = schema.message(name) {
            return .failure(CodecError(.crcMismatch, path: "", reason: "\(name) has crc \(crc) there but \(m.crc) in the loaded schema"))
        }
        return .failure(CodecError(.unknownMessage, path: "", reason: "message \(nameCRC) is not in the loaded schema"))
    }
}

/// `control_ping_51077d14` → (`control_ping`, `51077d14`).
public func splitNameCRC(_ nameCRC: String) -> (name: String, crc: String) {
    guard let underscore = nameCRC.lastIndex(of: "_") else { return (nameCRC, "") }
    return (String(nameCRC[..<underscore]), String(nameCRC[nameCRC.index(after: underscore)...]))
}

/// A bounds-checked cursor over trace bytes.
private struct TraceReader {
    let bytes: [UInt8]
    var offset = 0

    mutating func bytes(_ n: Int, _ what: String) throws(CodecError) -> [UInt8] {
        guard n >= 0, n <= bytes.count - offset else {
            throw CodecError(.truncated, path: "", reason: "trace file truncated in \(what): \(n) bytes needed, \(bytes.count - offset) left")
        }
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }

    mutating func byte(_ what: String) throws(CodecError) -> UInt8 {
        try bytes(1, what)[0]
    }

    mutating func u32BE(_ what: String) throws(CodecError) -> UInt32 {
        let b = try bytes(4, what)
        return UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
    }

    /// vppinfra `unserialize_likely_small_unsigned_integer` (src/vppinfra/serialize.h).
    mutating func likelySmallUnsigned(_ what: String) throws(CodecError) -> UInt64 {
        let y = UInt64(try byte(what))
        if y & 1 != 0 { return y / 2 }
        if y & 2 != 0 {
            let b = UInt64(try byte(what))
            return 128 + y / 4 + (b << 6)
        }
        if y & 4 != 0 {
            let b = try bytes(3, what).map(UInt64.init)
            return 128 + 16_384 + y / 8 + (b[0] << 5) + (b[1] << 13) + (b[2] << 21)
        }
        // The 9-byte form stores the value itself, little-endian (serialize.h writes x, not r).
        let b = try bytes(8, what).map(UInt64.init)
        return b.enumerated().reduce(0) { $0 | $1.element << UInt64(8 * $1.offset) }
    }
}
