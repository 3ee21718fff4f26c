/// interface.api and ip.api handlers over the interface table (src/vnet/interface_api.c).
extension SimulatorLoop {
    /// VPP: vl_api_create_loopback(_instance)_t_handler (interface_api.c:1559-1594).
    func createLoopback(_ r: Request, withInstance: Bool) {
        let mac = Array(r.view.raw("mac_address"))
        let instance: UInt32? = withInstance && r.view.flag("is_specified") ? r.view.u32("user_instance") : nil
        let result = interfaces.createLoopback(mac: mac, instance: instance)
        guard var b = builder(withInstance ? "create_loopback_instance_reply" : "create_loopback_reply") else { return }
        b.set("context", UInt64(r.context))
        switch result {
        case .success(let index):
            b.set("sw_if_index", UInt64(index))
        case .failure(let e):
            b.set("retval", signed: Int64(e.retval))
            b.set("sw_if_index", UInt64(UInt32.max))
        }
        reply(r, b)
    }

    /// VPP: vl_api_sw_interface_set_flags_t_handler (interface_api.c:79-103): only the
    /// admin-up bit is used.
    func setFlags(_ r: Request) {
        let up = r.view.uint("flags") & 1 != 0
        replyRetval(r, "sw_interface_set_flags_reply", interfaces.setAdmin(r.view.u32("sw_if_index"), up: up))
    }

    /// VPP: vl_api_sw_interface_add_del_address_t_handler (interface_api.c:400-439).
    func addDelAddress(_ r: Request) {
        let index = r.view.u32("sw_if_index")
        let rv: Int32
        if interfaces.get(index) == nil {
            rv = VNETError.invalidSwIfIndex
        } else if r.view.flag("del_all") {
            rv = interfaces.deleteAllAddresses(index)
        } else {
            // vl_api_address_with_prefix_t = { u8 af; u8 un[16]; u8 len }.
            let p = Array(r.view.raw("prefix"))
            if p.count == 18 {
                let a = InterfaceAddress(address: p[0] == 1 ? Array(p[1..<17]) : Array(p[1..<5]), length: p[17])
                rv = interfaces.addDelAddress(index, a, isAdd: r.view.flag("is_add"))
            } else {
                rv = VNETError.invalidValue
            }
        }
        replyRetval(r, "sw_interface_add_del_address_reply", rv)
    }

    /// VPP: vl_api_sw_interface_tag_add_del_t_handler (interface_api.c:913-942): an empty
    /// tag on add is -7.
    func tagAddDel(_ r: Request) {
        let index = r.view.u32("sw_if_index")
        let rv: Int32
        if interfaces.get(index) == nil {
            rv = VNETError.invalidSwIfIndex
        } else if r.view.flag("is_add") {
            let tag = r.view.fixedString("tag")
            rv = tag.isEmpty ? VNETError.invalidValue : interfaces.setTag(index, tag)
        } else {
            rv = interfaces.setTag(index, nil)
        }
        replyRetval(r, "sw_interface_tag_add_del_reply", rv)
    }

    /// VPP: vl_api_sw_interface_dump_t_handler (interface_api.c:339-398): with no name filter,
    /// a sw_if_index other than ~0 and 0 selects one interface (an unknown one: no details);
    /// otherwise every interface whose name contains the filter, ignoring case (strcasestr).
    func interfaceDump(_ r: Request) {
        guard let target = client(r.clientIndex) else { return }
        let index = r.view.u32("sw_if_index")
        let filterValid = r.view.flag("name_filter_valid")
        if !filterValid, index != UInt32.max, index != 0 {
            if let iface = interfaces.get(index) { sendDetails(iface, to: target, r) }
            return
        }
        let filter = filterValid ? r.view.variableString().lowercased() : ""
        for iface in interfaces.all where filter.isEmpty || iface.name.lowercased().contains(filter) {
            sendDetails(iface, to: target, r)
        }
    }

    /// VPP: send_sw_interface_details (interface_api.c:214-337).
    private func sendDetails(_ iface: SimInterface, to target: Connection, _ r: Request) {
        guard var b = builder("sw_interface_details") else { return }
        b.set("context", UInt64(r.context))
        b.set("sw_if_index", UInt64(iface.swIfIndex))
        b.set("sup_sw_if_index", UInt64(iface.swIfIndex))
        if iface.isLoopback { b.set("l2_address", raw: iface.mac) }
        b.set("flags", (iface.adminUp ? 1 : 0) | (iface.linkUp ? 2 : 0))
        b.set("link_duplex", 0)
        b.set("link_mtu", UInt64(iface.linkMTU))
        var mtu: [UInt8] = []
        for m in iface.mtu { mtu.appendBigEndian(m) }
        b.set("mtu", raw: mtu)
        b.set("interface_name", string: iface.name)
        b.set("interface_dev_type", string: iface.deviceType)
        if let tag = iface.tag { b.set("tag", string: tag) }
        send(b.bytes, to: target, request: r.name, message: "sw_interface_details")
    }

    /// VPP: vl_api_ip_address_dump_t_handler (ip_api.c:1113-1170): an unknown sw_if_index
    /// gets nothing.
    func ipAddressDump(_ r: Request) {
        guard let target = client(r.clientIndex), let iface = interfaces.get(r.view.u32("sw_if_index")) else { return }
        let v6 = r.view.flag("is_ipv6")
        for a in iface.addresses where a.isIPv6 == v6 {
            guard var b = builder("ip_address_details") else { return }
            b.set("context", UInt64(r.context))
            b.set("sw_if_index", UInt64(iface.swIfIndex))
            var prefix: [UInt8] = [v6 ? 1 : 0] + a.address
            prefix += [UInt8](repeating: 0, count: 17 - prefix.count)
            prefix.append(a.length)
            b.set("prefix", raw: prefix)
            send(b.bytes, to: target, request: r.name, message: "ip_address_details")
        }
    }

    /// VPP: vl_api_sw_interface_tx_placement_get_t_handler (interface_api.c:1293-1356) with
    /// REPLY_AND_DETAILS_VEC_MACRO_END (api_helper_macros.h:465-500): the queues of one
    /// interface, or of all (sorted by interface, then queue), from index `cursor`
    /// (~0 = 0); each details carries the request's context; after `streamPageSize`
    /// details (VPP: 1 ms) the reply says -165 EAGAIN if any remain, with `cursor` = the
    /// next index (= the count when done).
    func txPlacementGet(_ r: Request) {
        guard client(r.clientIndex) != nil, var reply = builder("sw_interface_tx_placement_get_reply") else { return }
        reply.set("context", UInt64(r.context))
        let all = interfaces.all
        guard all.contains(where: { $0.txQueues > 0 }) else {
            reply.set("retval", signed: Int64(VNETError.noSuchEntry))
            return self.reply(r, reply)
        }
        let index = r.view.u32("sw_if_index")
        var queues: [(SimInterface, Int)] = []
        if index == UInt32.max {
            for i in all { for q in 0..<i.txQueues { queues.append((i, q)) } }
        } else if let iface = interfaces.get(index) {
            for q in 0..<iface.txQueues { queues.append((iface, q)) }
        } else {
            reply.set("retval", signed: Int64(VNETError.invalidSwIfIndex))
            return self.reply(r, reply)
        }
        var cursor = r.view.u32("cursor")
        var rv: Int32 = 0
        if queues.isEmpty {
            cursor = UInt32.max
            rv = VNETError.invalidValue
        } else if cursor == UInt32.max {
            cursor = 0
        }
        var sent = 0
        let threads = (0...max(0, config.workers)).map { UInt32($0) }
        while cursor != UInt32.max, Int(cursor) < queues.count {
            let (iface, queue) = queues[Int(cursor)]
            // client_index is left as allocated: VPP never writes it (REPLY_MACRO_DETAILS5_END).
            if var d = builder("sw_interface_tx_placement_details", reserve: threads.count * 4) {
                d.set("context", UInt64(r.context))
                d.set("sw_if_index", UInt64(iface.swIfIndex))
                d.set("queue_id", UInt64(queue))
                d.set("shared", threads.count > iface.txQueues ? 1 : 0)
                var t: [UInt8] = []
                for th in threads { t.appendBigEndian(th) }
                d.appendArray(count: threads.count, elements: t)
                self.reply(r, d)
            }
            cursor += 1
            sent += 1
            if sent >= max(1, config.streamPageSize) {
                if Int(cursor) < queues.count { rv = VNETError.eagain }
                break
            }
        }
        reply.set("retval", signed: Int64(rv))
        reply.set("cursor", UInt64(cursor))
        self.reply(r, reply)
    }
}
