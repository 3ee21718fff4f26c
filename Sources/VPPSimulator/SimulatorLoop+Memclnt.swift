#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// memclnt, vlib and vpe handlers: the session, ping, schema, version and thread queries.
extension SimulatorLoop {
    /// VPP: vl_api_sockclnt_create_t_handler (socket_api.c:487-528). The reply goes to the
    /// connection the request came on; `index` = pool index | 0x80000000; the reply's own
    /// `client_index` is left 0; `response` is 0; the table lists every message.
    func sockclntCreate(_ r: Request) {
        r.connection.name = r.view.fixedString("name")
        if templates.sockclntCreate == nil {
            guard var b = builder("sockclnt_create_reply") else { return }
            // Hash order in VPP; here by name, so clients cannot rely on id order either.
            let entries = table.names.enumerated().compactMap { id, name -> (UInt16, String)? in
                guard let name, let m = api.schema.messages[name] else { return nil }
                return (UInt16(id), m.nameCRC)
            }.sorted { $0.1 < $1.1 }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(entries.count * 66)
            for (id, key) in entries {
                bytes.appendBigEndian(id)
                bytes.appendFixedString(key, size: 64)
            }
            b.set("response", 0)
            b.appendArray(count: entries.count, elements: bytes)
            templates.sockclntCreate = b.bytes
        }
        guard var bytes = templates.sockclntCreate, let layout = api.layouts["sockclnt_create_reply"] else { return }
        patch(&bytes, layout, "context", r.context)
        patch(&bytes, layout, "index", r.connection.handle)
        send(bytes, to: r.connection, request: r.name, message: "sockclnt_create_reply")
    }

    /// VPP: vl_api_sockclnt_delete_t_handler (socket_api.c:533-559): reply `response` = 1 to
    /// the client `client_index` names, then close that client's socket and free the
    /// registration `index` names (normally the same one); -1 for an unknown `index`.
    func sockclntDelete(_ r: Request) {
        guard let requester = client(r.clientIndex), var b = builder("sockclnt_delete_reply") else { return }
        b.set("context", UInt64(r.context))
        let target = Int(r.view.u32("index") & 0x7fff_ffff)
        let known = target > 0 && target < connections.count && connections[target] != nil
        b.set("response", signed: known ? 1 : -1)
        send(b.bytes, to: requester, request: r.name, message: "sockclnt_delete_reply")
        guard known else {
            logger.warning("unknown client ID \(target)")
            return
        }
        requester.releaseDelayed(now: UInt64.max)
        flushCounts()
        _ = requester.flush()
        remove(requester)
        if let other = connections[target], other !== requester { remove(other) }
    }

    /// VPP: vl_api_control_ping_t_handler (memclnt_api.c:128-136): retval 0, vpe_pid =
    /// getpid(), and the request's client_index echoed as it arrived.
    func controlPing(_ r: Request) {
        guard let target = client(r.clientIndex), let layout = api.layouts["control_ping_reply"] else { return }
        let pid = shared.pid.load(ordering: .relaxed)
        if templates.controlPing == nil || templates.controlPingPID != pid {
            guard var b = builder("control_ping_reply") else { return }
            b.set("vpe_pid", UInt64(pid))
            templates.controlPing = b.bytes
            templates.controlPingPID = pid
        }
        guard var bytes = templates.controlPing else { return }
        patch(&bytes, layout, "context", r.context)
        patch(&bytes, layout, "client_index", r.clientIndex)
        send(bytes, to: target, request: r.name, message: "control_ping_reply")
    }

    /// VPP: vl_api_show_version_t_handler (src/vpp/api/api.c:93-111).
    func showVersion(_ r: Request) {
        guard let target = client(r.clientIndex), let layout = api.layouts["show_version_reply"] else { return }
        if templates.showVersion == nil {
            guard var b = builder("show_version_reply") else { return }
            b.set("program", string: "vpe")
            b.set("version", string: config.version)
            b.set("build_date", string: Self.buildDate)
            b.set("build_directory", string: Self.buildDirectory)
            templates.showVersion = b.bytes
        }
        guard var bytes = templates.showVersion else { return }
        patch(&bytes, layout, "context", r.context)
        send(bytes, to: target, request: r.name, message: "show_version_reply")
    }

    static let buildDate = "2026-06-24T00:00:00"
    static let buildDirectory = "/usr/src/vpp-simulator"

    /// VPP: vl_api_get_api_json_t_handler (memclnt_api.c:138-168): `"[\n"` + every
    /// registered module's `.api.json` joined by "," + `"]"`.
    func getAPIJSON(_ r: Request) {
        guard let target = client(r.clientIndex), let layout = api.layouts["get_api_json_reply"] else { return }
        if templates.apiJSON == nil {
            guard var b = builder("get_api_json_reply") else { return }
            let text = api.apiJSON(for: table)
            b.appendVariableString("[\n" + text.dropFirst())
            templates.apiJSON = b.bytes
        }
        guard var bytes = templates.apiJSON else { return }
        patch(&bytes, layout, "context", r.context)
        send(bytes, to: target, request: r.name, message: "get_api_json_reply")
    }

    /// VPP: vl_api_get_first_msg_id_t_handler (memclnt_api.c:54-87): the first id of the
    /// module range `<module>_<crc>`; -7 and 0xffff when unknown.
    func getFirstMsgID(_ r: Request) {
        guard var b = builder("get_first_msg_id_reply") else { return }
        let wanted = r.view.fixedString("name")
        var first: UInt16 = 0xffff
        for base in table.moduleBases {
            let crc = api.schema.modules.first { $0.name == base.module }?.crc ?? ""
            if "\(base.module)_\(crc)" == wanted { first = base.firstID }
        }
        b.set("context", UInt64(r.context))
        b.set("retval", signed: first == 0xffff ? -7 : 0)
        b.set("first_msg_id", UInt64(first))
        reply(r, b)
    }

    /// VPP: vl_api_api_versions_t_handler (memclnt_api.c:91-125): one entry per module.
    func apiVersions(_ r: Request) {
        guard var b = builder("api_versions_reply") else { return }
        var bytes: [UInt8] = []
        let modules = table.moduleBases.compactMap { base in api.schema.modules.first { $0.name == base.module } }
        for m in modules {
            let parts = (m.version ?? "0.0.0").split(separator: ".").map { UInt32($0) ?? 0 } + [0, 0, 0]
            for p in parts.prefix(3) { bytes.appendBigEndian(p) }
            bytes.appendFixedString(m.name, size: 64)
        }
        b.set("context", UInt64(r.context))
        b.appendArray(count: modules.count, elements: bytes)
        reply(r, b)
    }

    /// VPP: vl_api_show_threads_t_handler (vlib_api.c): the main thread and the workers.
    func showThreads(_ r: Request) {
        guard var b = builder("show_threads_reply") else { return }
        let count = 1 + max(0, config.workers)
        var bytes: [UInt8] = []
        let pid = UInt32(truncatingIfNeeded: Int(getpid()))
        for i in 0..<count {
            bytes.appendBigEndian(UInt32(i))
            bytes.appendFixedString(i == 0 ? "vpp_main" : "vpp_wk_\(i - 1)", size: 64)
            bytes.appendFixedString(i == 0 ? "" : "workers", size: 64)
            for v in [pid &+ UInt32(i), UInt32(i), UInt32(i), 0] { bytes.appendBigEndian(v) }
        }
        b.set("context", UInt64(r.context))
        b.appendArray(count: count, elements: bytes)
        reply(r, b)
    }

    /// VPP: vl_api_show_vpe_system_time_t_handler (api.c:113-121): f64 in host order.
    func showVPESystemTime(_ r: Request) {
        guard var b = builder("show_vpe_system_time_reply") else { return }
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        b.set("context", UInt64(r.context))
        b.set("vpe_system_time", raw: Self.hostOrder(Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9))
        reply(r, b)
    }

    /// VPP: vlib_api.c:296-319: f64 travels unswapped; a wrong-endian 1.0 gives -159.
    func f64Probe(_ r: Request, increment: Bool) {
        let field = increment ? "f64_value" : "f64_one"
        let value = r.view.f64(field) ?? 0
        guard var b = builder(increment ? "get_f64_increment_by_one_reply" : "get_f64_endian_value_reply") else { return }
        b.set("context", UInt64(r.context))
        if increment {
            b.set("f64_value", raw: Self.hostOrder(value + 1))
        } else {
            b.set("retval", UInt64(UInt32(bitPattern: value == 1.0 ? 0 : -159)))
            b.set("f64_one_result", raw: Self.hostOrder(1.0))
        }
        reply(r, b)
    }

    /// An f64 as VPP sends it: little-endian IEEE-754 (clib_host_to_net_f64 is the identity).
    static func hostOrder(_ d: Double) -> [UInt8] {
        let bits = d.bitPattern
        return (0..<8).map { UInt8((bits >> (8 * UInt64($0))) & 0xff) }
    }

    /// Overwrites a u32 field of an encoded message in place.
    func patch(_ bytes: inout [UInt8], _ layout: MessageLayout, _ field: String, _ value: UInt32) {
        guard let s = layout.slots[field], s.size == 4, s.offset + 4 <= bytes.count else { return }
        bytes[s.offset] = UInt8(value >> 24)
        bytes[s.offset + 1] = UInt8((value >> 16) & 0xff)
        bytes[s.offset + 2] = UInt8((value >> 8) & 0xff)
        bytes[s.offset + 3] = UInt8(value & 0xff)
    }
}
