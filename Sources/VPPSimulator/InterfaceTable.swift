/// VPP's error codes the simulator returns (src/vnet/error.h).
enum VNETError {
    static let unspecified: Int32 = -1
    static let invalidSwIfIndex: Int32 = -2
    static let noSuchEntry: Int32 = -6
    static let invalidValue: Int32 = -7
    static let invalidRegistration: Int32 = -31
    static let addressNotFoundForInterface: Int32 = -60
    static let invalidInterface: Int32 = -71
    static let addressInUse: Int32 = -105
    static let eagain: Int32 = -165
}

/// The interface-state changes VPP's link-state process batches (interface_api.c:755-763).
struct InterfaceEvents: OptionSet, Sendable {
    let rawValue: UInt8
    static let linkUp = InterfaceEvents(rawValue: 1 << 1)
    static let linkDown = InterfaceEvents(rawValue: 1 << 2)
    static let adminUp = InterfaceEvents(rawValue: 1 << 3)
    static let adminDown = InterfaceEvents(rawValue: 1 << 4)
    static let added = InterfaceEvents(rawValue: 1 << 5)
    static let deleted = InterfaceEvents(rawValue: 1 << 6)
}

/// One IP address on an interface.
struct InterfaceAddress: Equatable {
    /// 4 or 16 bytes.
    var address: [UInt8]
    var length: UInt8
    var isIPv6: Bool { address.count == 16 }
}

/// A software interface as VPP's `vnet_sw_interface_t` + its hardware interface show it.
struct SimInterface {
    let swIfIndex: UInt32
    let name: String
    /// Device class name (`interface_dev_type`): "local" or "Loopback".
    let deviceType: String
    /// Loopback instance (`loopN`), nil for local0.
    let loopbackInstance: UInt32?
    var mac: [UInt8]
    var adminUp = false
    var linkUp = false
    var linkMTU: UInt16
    var mtu: [UInt32]
    var tag: String?
    var addresses: [InterfaceAddress] = []
    var rxPackets: UInt64 = 0, rxBytes: UInt64 = 0, txPackets: UInt64 = 0, txBytes: UInt64 = 0
    /// Transmit queues of the hardware interface (VPP gives each loopback one).
    var txQueues: Int

    var isLoopback: Bool { loopbackInstance != nil }
}

/// The simulator's interface table: local0 plus loopbacks, with addresses and tags.
///
/// Every state change records the VPP event bits for its interface in `pending`; the loop
/// flushes them once per batch of received messages, OR-ed per interface, as VPP's
/// `link_state_process` does (interface_api.c:767-812), so events coalesce the same way.
struct InterfaceTable {
    /// Interfaces by sw_if_index; nil = a freed pool slot.
    var slots: [SimInterface?] = []
    /// Event bits not yet sent, by sw_if_index.
    var pending: [UInt32: InterfaceEvents] = [:]
    private var loopbackInstances = Set<UInt32>()
    /// No free loopback instance / pool slot below these (keeps creation O(1) for 10k loopbacks).
    private var instanceHint: UInt32 = 0
    private var slotHint = 1

    /// VPP: src/vnet/ethernet/interface.c:740 LOOPBACK_MAX_INSTANCE.
    static let maxLoopbackInstance: UInt32 = 16 * 1024

    /// A table holding only local0 (sw_if_index 0, always present in VPP).
    init() {
        slots = [SimInterface(swIfIndex: 0, name: "local0", deviceType: "local", loopbackInstance: nil,
                              mac: [0, 0, 0, 0, 0, 0], linkMTU: 0, mtu: [0, 0, 0, 0], txQueues: 0)]
    }

    /// The live interfaces in sw_if_index order.
    var all: [SimInterface] { slots.compactMap { $0 } }

    /// The interface at `index`, if it exists (`vnet_sw_if_index_is_api_valid`).
    func get(_ index: UInt32) -> SimInterface? {
        Int(index) < slots.count ? slots[Int(index)] : nil
    }

    /// The interface called `name` (CLI lookups).
    func find(name: String) -> SimInterface? {
        slots.first { $0?.name == name } ?? nil
    }

    private mutating func signal(_ index: UInt32, _ e: InterfaceEvents) {
        pending[index, default: []].insert(e)
    }

    /// VPP: vnet_create_loopback_interface (ethernet/interface.c:806-870). Returns the new
    /// sw_if_index, or -31 INVALID_REGISTRATION when the instance is taken or out of range.
    mutating func createLoopback(mac: [UInt8]?, instance wanted: UInt32?) -> Result<UInt32, VPPErrorCode> {
        let instance: UInt32
        if let wanted {
            guard wanted < Self.maxLoopbackInstance, !loopbackInstances.contains(wanted) else {
                return .failure(VPPErrorCode(VNETError.invalidRegistration))
            }
            instance = wanted
        } else {
            var i = instanceHint
            while loopbackInstances.contains(i) { i += 1 }
            instanceHint = i + 1
            guard i < Self.maxLoopbackInstance else { return .failure(VPPErrorCode(VNETError.invalidRegistration)) }
            instance = i
        }
        loopbackInstances.insert(instance)
        // Default MAC de:ad:00:00:00:<instance> when none (or all zero) is given.
        var address: [UInt8] = [0xde, 0xad, 0, 0, 0, UInt8(truncatingIfNeeded: instance)]
        if let mac, mac.count == 6, mac.contains(where: { $0 != 0 }) { address = mac }
        while slotHint < slots.count, slots[slotHint] != nil { slotHint += 1 }
        let index = UInt32(slotHint)
        let iface = SimInterface(swIfIndex: index, name: "loop\(instance)", deviceType: "Loopback",
                                 loopbackInstance: instance, mac: address, linkMTU: 9000,
                                 mtu: [9000, 0, 0, 0], txQueues: 1)
        if Int(index) == slots.count { slots.append(iface) } else { slots[Int(index)] = iface }
        signal(index, .added)
        return .success(index)
    }

    /// VPP: vnet_delete_loopback_interface (ethernet/interface.c:999-1015): -2 unless a loopback.
    mutating func deleteLoopback(_ index: UInt32) -> Int32 {
        guard let iface = get(index), let instance = iface.loopbackInstance else { return VNETError.invalidSwIfIndex }
        if iface.adminUp { _ = setAdmin(index, up: false) }
        loopbackInstances.remove(instance)
        instanceHint = min(instanceHint, instance)
        slots[Int(index)] = nil
        slotHint = min(slotHint, Int(index))
        signal(index, .deleted)
        return 0
    }

    /// VPP: vnet_sw_interface_set_flags (interface.c:326-450): nothing happens when the flag
    /// does not change; a loopback's link follows its admin state
    /// (simulated ethernet admin_up_down sets the hardware link flag).
    mutating func setAdmin(_ index: UInt32, up: Bool) -> Int32 {
        guard var iface = get(index) else { return VNETError.invalidSwIfIndex }
        guard iface.adminUp != up else { return 0 }
        iface.adminUp = up
        slots[Int(index)] = iface
        signal(index, up ? .adminUp : .adminDown)
        if iface.isLoopback { _ = setLink(index, up: up) }
        return 0
    }

    /// Sets the hardware link state (`vnet_hw_interface_set_flags`; no event without a change).
    mutating func setLink(_ index: UInt32, up: Bool) -> Int32 {
        guard var iface = get(index) else { return VNETError.invalidSwIfIndex }
        guard iface.linkUp != up else { return 0 }
        iface.linkUp = up
        slots[Int(index)] = iface
        signal(index, up ? .linkUp : .linkDown)
        return 0
    }

    /// VPP: vnet_set_sw_interface_tag / vnet_clear_sw_interface_tag.
    mutating func setTag(_ index: UInt32, _ tag: String?) -> Int32 {
        guard get(index) != nil else { return VNETError.invalidSwIfIndex }
        slots[Int(index)]?.tag = tag
        return 0
    }

    /// Sets traffic counters (fault hook; VPP's come from the data plane).
    mutating func setCounters(_ index: UInt32, rx: (UInt64, UInt64), tx: (UInt64, UInt64)) -> Int32 {
        guard get(index) != nil else { return VNETError.invalidSwIfIndex }
        slots[Int(index)]?.rxPackets = rx.0
        slots[Int(index)]?.rxBytes = rx.1
        slots[Int(index)]?.txPackets = tx.0
        slots[Int(index)]?.txBytes = tx.1
        return 0
    }
}

/// A VPP error code as a typed error, for `Result`.
struct VPPErrorCode: Error, Equatable {
    let retval: Int32
    init(_ retval: Int32) { self.retval = retval }
}
