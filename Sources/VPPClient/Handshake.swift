/// Hand-laid memclnt messages for the handshake, liveness and shutdown.
///
/// They are needed before any schema or id table exists, and they are on paths where the
/// codec would only add cost, so their few fixed layouts (memclnt.api, VPP 26.06) are
/// written out here. All integers are big-endian on the wire (notes §1.2).
enum Handshake {
    /// `sockclnt_create {u16 _vl_msg_id; u32 context; string name[64]}` (70 bytes).
    static func sockclntCreate(context: UInt32, name: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(70)
        put16(Memclnt.sockclntCreate, &out)
        put32(context, &out)
        // VPP copies the name with format "%s" (socket_api.c:507): NUL-terminated in 64.
        let bytes = Array(name.utf8.prefix(63))
        out += bytes
        out += [UInt8](repeating: 0, count: 64 - bytes.count)
        return out
    }

    /// The useful part of `sockclnt_create_reply`.
    struct CreateReply {
        /// `index`: `pool_index | 1<<31` (socket_api.c:42-49, 512) — the client index for
        /// every later message. The reply's own `client_index` field is left 0 by VPP.
        let index: UInt32
        /// `response` (always 0 in VPP 26.06).
        let response: Int32
        /// `message_table`: every registered `name_crc` with its id.
        let entries: [(id: UInt16, nameCRC: String)]
    }

    /// Parses `sockclnt_create_reply {u16 id; u32 client_index; u32 context; i32 response;
    /// u32 index; u16 count; message_table_entry {u16 index; string name[64]} [count]}`
    /// (memclnt.api; handler socket_api.c:487-528).
    static func parseCreateReply(_ b: [UInt8]) -> CreateReply? {
        guard b.count >= 20 else { return nil }
        let response = Int32(bitPattern: get32(b, 10))
        let index = get32(b, 14)
        let count = Int(get16(b, 18))
        guard b.count >= 20 + count * 66 else { return nil }
        var entries: [(id: UInt16, nameCRC: String)] = []
        entries.reserveCapacity(count)
        for i in 0..<count {
            let base = 20 + i * 66
            let id = get16(b, base)
            // strncpy_s(..., 63): NUL-terminated within 64 bytes (socket_api.c:517-525).
            var end = base + 2
            while end < base + 66 && b[end] != 0 { end += 1 }
            entries.append((id, String(decoding: b[(base + 2)..<end], as: UTF8.self)))
        }
        return CreateReply(index: index, response: response, entries: entries)
    }

    /// A request with only the standard header `{u16 id; u32 client_index; u32 context}`:
    /// `control_ping`, `get_api_json` (10 bytes).
    static func headerOnly(id: UInt16, clientIndex: UInt32, context: UInt32) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(10)
        put16(id, &out)
        put32(clientIndex, &out)
        put32(context, &out)
        return out
    }

    /// `sockclnt_delete {u16 id; u32 client_index; u32 context; u32 index}` (14 bytes);
    /// `index` is the handle VPP gave us (socket_api.c:533-559).
    static func sockclntDelete(id: UInt16, clientIndex: UInt32, context: UInt32) -> [UInt8] {
        var out = headerOnly(id: id, clientIndex: clientIndex, context: context)
        put32(clientIndex, &out)
        return out
    }

    /// `sockclnt_delete_reply.response` at offset 6: 1 on success, -1 for an unknown index.
    static func deleteResponse(_ b: [UInt8]) -> Int32? {
        b.count >= 10 ? Int32(bitPattern: get32(b, 6)) : nil
    }

    /// `control_ping_reply {u16 id; u32 context; i32 retval; u32 client_index; u32 vpe_pid}`:
    /// `vpe_pid = getpid()` of VPP (memclnt_api.c:128-135) — a restart changes it.
    static func pingReplyPID(_ b: [UInt8]) -> UInt32? {
        b.count >= 18 ? get32(b, 14) : nil
    }

    /// `get_api_json_reply {u16 id; u32 context; i32 retval; string json[]}`: retval and the
    /// JSON text (`u32` length + bytes, memclnt_api.c:138-168).
    static func parseAPIJSONReply(_ b: [UInt8]) -> (retval: Int32, json: ArraySlice<UInt8>)? {
        guard b.count >= 14 else { return nil }
        let retval = Int32(bitPattern: get32(b, 6))
        let length = Int(get32(b, 10))
        guard length <= b.count - 14 else { return nil }
        var json = b[14..<(14 + length)]
        // VPP copies without the NUL (api_shared.c:999-1007); tolerate one anyway.
        while json.last == 0 { json = json.dropLast() }
        return (retval, json)
    }

    @inline(__always)
    static func put16(_ v: UInt16, _ out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: v >> 8))
        out.append(UInt8(truncatingIfNeeded: v))
    }

    @inline(__always)
    static func put32(_ v: UInt32, _ out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: v >> 24))
        out.append(UInt8(truncatingIfNeeded: v >> 16))
        out.append(UInt8(truncatingIfNeeded: v >> 8))
        out.append(UInt8(truncatingIfNeeded: v))
    }

    @inline(__always)
    static func get16(_ b: [UInt8], _ i: Int) -> UInt16 {
        UInt16(b[i]) << 8 | UInt16(b[i + 1])
    }

    @inline(__always)
    static func get32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    /// Big-endian u16 at `offset` of a raw buffer (caller checked the bounds).
    @inline(__always)
    static func load16(_ p: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        UInt16(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    /// Big-endian u32 at `offset` of a raw buffer (caller checked the bounds).
    @inline(__always)
    static func load32(_ p: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }
}
