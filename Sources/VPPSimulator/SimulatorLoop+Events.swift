/// Event registrations (want_*) and event delivery.
extension SimulatorLoop {
    /// A want_* message, kept the way VPP keeps that message's registrations.
    func subscribe(_ r: Request, reply: String?, enableField: String, rule: RegistrationRule) {
        let rv: Int32
        switch rule {
        case .pubSub: rv = pubSub(r, enableField: enableField)
        case .watchers: rv = watch(r, enableField: enableField)
        case .l2Macs: rv = l2MacsSubscriber(r, enableField: enableField)
        case .wireguardPeers: rv = wireguardPeers(r, enableField: enableField)
        }
        if let reply { replyRetval(r, reply, rv) }
    }

    /// VPP: pub_sub_handler (api_helper_macros.h:633-691), for most want_* messages: one
    /// registration per (message, client_index); enabling twice or disabling when not
    /// registered is -31 INVALID_REGISTRATION. The registration keeps the request's
    /// client_index and pid as sent, and is made even when client_index names no client
    /// (the reply is then lost, as in VPP).
    private func pubSub(_ r: Request, enableField: String) -> Int32 {
        let enable = r.view.flag(enableField)
        var list = registrations[r.name] ?? []
        let existing = list.firstIndex { $0.clientIndex == r.clientIndex }
        var rv: Int32 = 0
        switch (existing, enable) {
        case (.some, true):
            logger.warning("pid \(r.view.u32("pid")): already enabled...")
            rv = VNETError.invalidRegistration
        case (.some(let i), false):
            list.remove(at: i)
        case (.none, false):
            logger.warning("pid \(r.view.u32("pid")): already disabled...")
            rv = VNETError.invalidRegistration
        case (.none, true):
            let pid = r.view.u32("pid")
            list.append(Registration(clientIndex: r.clientIndex,
                                     pid: RegistrationRule.storesHostOrderPID.contains(r.name) ? pid.byteSwapped : pid))
        }
        registrations[r.name] = list
        return rv
    }

    /// A call that makes VPP send events to its caller later (ping.api's
    /// want_ping_finished_events starts a ping and sends ping_finished_event to the calling
    /// client when it ends; dhcp_client_config sends dhcp_compl_event with the client's pid).
    /// The simulator answers retval 0 and remembers the caller once, so that `emitEvent`
    /// reaches it; a later call from the same client replaces the entry.
    func triggerEvents(_ r: Request, reply: String?) {
        var list = registrations[r.name] ?? []
        list.removeAll { $0.clientIndex == r.clientIndex }
        list.append(Registration(clientIndex: r.clientIndex, pid: callerPID(r)))
        registrations[r.name] = list
        if let reply { replyRetval(r, reply, 0) }
    }

    /// The pid a later event echoes: the request's own `pid`, or for dhcp_client_config
    /// `client.pid` — the last member of `vl_api_dhcp_client_t` — which VPP stores with the
    /// client and copies into dhcp_compl_event as it arrived (dhcp_api.c:298, 315).
    private func callerPID(_ r: Request) -> UInt32 {
        if r.view.layout.slots["pid"] != nil { return r.view.u32("pid") }
        let client = r.view.raw("client")
        guard client.count >= 4 else { return 0 }
        return client.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// ping.api's want_ping_finished_events (ping_api.c:44-132): the reply at once, then
    /// `repeat` pings `interval` seconds apart, then `ping_finished_event` to the caller with
    /// how many were sent and answered. The simulator's network answers only its own
    /// interfaces' addresses; the ping's duration is capped at 10 s.
    func startPing(_ r: Request) {
        replyRetval(r, "want_ping_finished_events_reply", 0)
        let repeatCount = r.view.u32("repeat")
        let interval = r.view.f64("interval") ?? 1.0
        let address = Array(r.view.raw("address"))
        let target: [UInt8] = address.first == 0 ? Array(address.dropFirst().prefix(4)) : Array(address.dropFirst())
        let answered = interfaces.all.contains { i in i.addresses.contains { $0.address == target } }
        let seconds = interval.isFinite && interval > 0 ? min(10, interval * Double(repeatCount)) : 0
        tasks.append(PeriodicTask(next: Wire.now() + UInt64(seconds * 1e9), interval: 1, remaining: 1,
                                  action: .pingFinished(clientIndex: r.clientIndex, requestCount: repeatCount,
                                                        replyCount: answered ? repeatCount : 0)))
    }

    /// ping_api_send_ping_event (ping_api.c:24-40): the two counts in a zeroed message
    /// (client_index and pid stay 0).
    func sendPingFinished(to clientIndex: UInt32, requestCount: UInt32, replyCount: UInt32) {
        guard let target = client(clientIndex), var b = builder("ping_finished_event") else { return }
        b.set("request_count", UInt64(requestCount))
        b.set("reply_count", UInt64(replyCount))
        send(b.bytes, to: target, request: "want_ping_finished_events", message: "ping_finished_event")
    }

    /// Sends the batched interface changes: one `sw_interface_event` per changed interface
    /// per registration, flags = the admin-up / link-up *events* of the batch (not the
    /// state), deleted = a delete happened (interface_api.c:731-812).
    func flushInterfaceEvents() {
        guard !interfaces.pending.isEmpty else { return }
        let pending = interfaces.pending.sorted { $0.key < $1.key }
        interfaces.pending.removeAll()
        for (index, events) in pending {
            sendInterfaceEvent(index, flags: (events.contains(.adminUp) ? 1 : 0) | (events.contains(.linkUp) ? 2 : 0),
                               deleted: events.contains(.deleted))
        }
    }

    private func sendInterfaceEvent(_ index: UInt32, flags: UInt64, deleted: Bool) {
        let regs = registrations["want_interface_events"] ?? []
        guard !regs.isEmpty else { return }
        for reg in regs {
            guard let target = client(reg.clientIndex), var b = builder("sw_interface_event") else { continue }
            b.set("client_index", UInt64(reg.clientIndex))
            b.set("pid", UInt64(reg.pid))
            b.set("sw_if_index", UInt64(index))
            b.set("flags", flags)
            b.set("deleted", deleted ? 1 : 0)
            send(b.bytes, to: target, request: "sw_interface_event", message: "sw_interface_event")
        }
    }

    /// Sends an encoded event to every client registered through `registration`, with the
    /// registration's client_index and pid filled in (as interface_api.c:743-765 does).
    func emit(_ name: String, registration: String, payload: [UInt8]) {
        guard let id = table.ids[name], let layout = api.layouts[name], payload.count >= 2 else { return }
        let (targets, fillIn) = recipients(of: payload, layout: layout, registration: registration)
        for reg in targets {
            guard let target = client(reg.clientIndex) else { continue }
            var bytes = payload
            bytes[0] = UInt8(id >> 8)
            bytes[1] = UInt8(id & 0xff)
            if fillIn {
                patch(&bytes, layout, "client_index", reg.clientIndex)
                patch(&bytes, layout, "pid", reg.pid)
            }
            send(bytes, to: target, request: name, message: name)
        }
    }

    /// One flood event: `sw_interface_event` for the interfaces in turn, link flag
    /// alternating; sent at once, without batching, and without changing state (a load
    /// generator for clients, not a state change).
    func floodOneEvent() {
        let all = interfaces.all
        guard !all.isEmpty else { return }
        let iface = all[floodCounter % all.count]
        sendInterfaceEvent(iface.swIfIndex, flags: floodCounter / all.count % 2 == 0 ? 2 : 0, deleted: false)
        floodCounter += 1
    }
}
