/// How VPP keeps the registrations of one `want_*` message. Most go through
/// `pub_sub_handler`; a few keep their own books, and a client can tell the difference (a
/// repeat is -31 or ignored, a disable takes other registrations with it, events carry a
/// pid or not). The simulator follows each, so that the gateway's event hub is tested against
/// what a real VPP does.
enum RegistrationRule: Sendable {
    /// api_helper_macros.h:633-691: one per client; a repeated enable or a disable without a
    /// registration is -31.
    case pubSub
    /// ip_neighbor_watch.c:96-127 (want_ip_neighbor_events[_v2]): independent watchers keyed
    /// by client, pid and arguments; a repeat is ignored, a disable removes only its own.
    case watchers
    /// l2_api.c:210-302 (want_l2_macs_events[2]): one subscriber for all of VPP, identified
    /// by pid; another pid is -124 while it holds on, any disable clears it, and nothing is
    /// cleaned up when the client goes away.
    case l2Macs
    /// wireguard_api.c:375-431: per (peer, client) for the peers that exist when it is sent;
    /// a disable for all peers drops the client from every peer; events carry pid 0.
    case wireguardPeers

    init(want: String) {
        switch want {
        case "want_ip_neighbor_events", "want_ip_neighbor_events_v2": self = .watchers
        case "want_l2_macs_events", "want_l2_macs_events2": self = .l2Macs
        case "want_wireguard_peer_events": self = .wireguardPeers
        default: self = .pubSub
        }
    }

    /// pub/sub registrations that keep `ntohl(pid)` and copy it into events unswapped, so
    /// the event's pid arrives byte-swapped (ip6_nd_api.c:498 and 429; dhcp_api.c:453, 502,
    /// 728 and 836).
    static let storesHostOrderPID: Set<String> = ["want_ip6_ra_events", "want_dhcp6_reply_events", "want_dhcp6_pd_reply_events"]

    /// Whether VPP drops these registrations when their client goes away: l2_macs and
    /// wireguard have no reaper (nothing registered with VL_MSG_API_REAPER_FUNCTION).
    var isReapedWithClient: Bool {
        switch self {
        case .pubSub, .watchers: true
        case .l2Macs, .wireguardPeers: false
        }
    }

    /// The simulated WireGuard peers (indices): VPP walks the peers that exist.
    static let simulatedWireGuardPeers: [UInt32] = [0, 1, 2, 3]

    /// Where the single l2_macs subscriber is kept (`emitEvent` of `l2_macs_event` looks
    /// there, the schema's registration for it).
    static let l2MacsKey = "want_l2_macs_events"

    /// L2LEARN_DEFAULT_LIMIT (l2_learn.h:42): L2FIB_NUM_BUCKETS (64 K) × 64.
    static let l2LearnDefaultLimit: UInt64 = 65_536 * 64
}

extension SimulatorLoop {
    /// ip_neighbor watchers: the identity is the client, the pid and the argument bytes.
    func watch(_ r: Request, enableField: String) -> Int32 {
        let fields = api.schema.messages[r.name]?.fields.map(\.name) ?? []
        let selector = fields.filter { !["_vl_msg_id", "client_index", "context", enableField].contains($0) }
            .flatMap { Array(r.view.raw($0)) }
        let registration = Registration(clientIndex: r.clientIndex, pid: r.view.u32("pid"), selector: selector)
        var list = registrations[r.name] ?? []
        let existing = list.firstIndex { $0.clientIndex == r.clientIndex && $0.selector == selector }
        if r.view.flag(enableField) {
            if existing == nil { list.append(registration) }
        } else if let existing {
            list.remove(at: existing)
        }
        registrations[r.name] = list
        return 0
    }

    /// want_l2_macs_events and want_l2_macs_events2 share one subscriber slot.
    func l2MacsSubscriber(_ r: Request, enableField: String) -> Int32 {
        let pid = r.view.u32("pid")
        let current = registrations[RegistrationRule.l2MacsKey]?.first
        guard r.view.flag(enableField) else {
            registrations[RegistrationRule.l2MacsKey] = []
            return 0
        }
        if let current, current.pid != pid { return -124 }  // L2_MACS_EVENT_CLINET_PRESENT
        guard r.view.uint("max_macs_in_event") != 0 else { return VNETError.invalidValue }
        if r.name == "want_l2_macs_events" {
            let limit = r.view.uint("learn_limit")
            guard r.view.uint("scan_delay") != 0, limit != 0, limit <= RegistrationRule.l2LearnDefaultLimit else {
                return VNETError.invalidValue
            }
        }
        registrations[RegistrationRule.l2MacsKey] = [Registration(clientIndex: r.clientIndex, pid: pid)]
        return 0
    }

    /// WireGuard: one entry per (client, peer); the peers a request covers are all of them
    /// (`peer_index` ~0) or the one named, and only with `sw_if_index` ~0: the simulated peers
    /// sit on no simulated interface.
    func wireguardPeers(_ r: Request, enableField: String) -> Int32 {
        let peerIndex = r.view.u32("peer_index")
        let swIfIndex = r.view.u32("sw_if_index")
        let covered = RegistrationRule.simulatedWireGuardPeers.filter { peer in
            swIfIndex == .max && (peerIndex == .max || peerIndex == peer)
        }
        var list = registrations[r.name] ?? []
        let enable = r.view.flag(enableField)
        for peer in covered {
            let selector = Self.bigEndian(peer)
            let existing = list.firstIndex { $0.clientIndex == r.clientIndex && $0.selector == selector }
            if enable {
                if existing == nil { list.append(Registration(clientIndex: r.clientIndex, pid: r.view.u32("pid"), selector: selector)) }
            } else if let existing {
                list.remove(at: existing)
            }
        }
        registrations[r.name] = list
        return 0
    }

    /// Who gets an emitted event, and whether VPP fills in `client_index` and `pid`: a
    /// wireguard_peer_event goes to the clients registered for its peer, zeroed
    /// (wg_api_send_peer_event, wireguard_api.c:431); everything else to every registration,
    /// with its client_index and pid (interface_api.c:743-765, l2_api.c, ip_neighbor_api.c).
    func recipients(of payload: [UInt8], layout: MessageLayout, registration: String) -> (targets: [Registration], fillIn: Bool) {
        let all = registrations[registration] ?? []
        guard RegistrationRule(want: registration) == .wireguardPeers else { return (all, true) }
        guard let slot = layout.slots["peer_index"], slot.size == 4, slot.offset + 4 <= payload.count else { return ([], false) }
        let peer = Array(payload[slot.offset..<slot.offset + 4])
        return (all.filter { $0.selector == peer }, false)
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)]
    }
}
