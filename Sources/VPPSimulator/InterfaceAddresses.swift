/// Interface addresses with VPP's conflict rules.
extension InterfaceTable {
    /// VPP: ip4_add_del_interface_address_internal (src/vnet/ip/ip4_forward.c:608-790) and its
    /// ip6 twin: adding a prefix that overlaps one on another interface, or the same address
    /// again, is -105 ADDRESS_IN_USE (several addresses of one subnet on one interface are
    /// fine); deleting an address the interface does not have is -60.
    /// One FIB is modelled (every interface in table 0).
    mutating func addDelAddress(_ index: UInt32, _ a: InterfaceAddress, isAdd: Bool) -> Int32 {
        guard let iface = get(index) else { return VNETError.invalidSwIfIndex }
        let maxLength = a.isIPv6 ? 128 : 32
        if isAdd {
            // ip_interface_address_add rejects a bad length with a clib error but no api_errno,
            // so the reply says 0 (interface_api.c:425-430 uses vnm->api_errno, reset to 0).
            guard a.length > 0, Int(a.length) <= maxLength else { return 0 }
            for other in all {
                for x in other.addresses where x.isIPv6 == a.isIPv6 {
                    let overlap = Self.matches(a.address, x.address, x.length) || Self.matches(x.address, a.address, a.length)
                    guard overlap else { continue }
                    if other.swIfIndex == index, x.length == a.length, x.address != a.address { continue }
                    return VNETError.addressInUse
                }
            }
            slots[Int(index)]?.addresses.append(a)
            return 0
        }
        guard let i = iface.addresses.firstIndex(where: { $0.address == a.address }) else {
            return VNETError.addressNotFoundForInterface
        }
        slots[Int(index)]?.addresses.remove(at: i)
        return 0
    }

    /// VPP: ip_del_all_interface_addresses (del_all = true).
    mutating func deleteAllAddresses(_ index: UInt32) -> Int32 {
        guard get(index) != nil else { return VNETError.invalidSwIfIndex }
        slots[Int(index)]?.addresses.removeAll()
        return 0
    }

    /// VPP: ip4_destination_matches_route (ip4.h:154): `key` and `dest` agree in the first
    /// `length` bits.
    static func matches(_ key: [UInt8], _ dest: [UInt8], _ length: UInt8) -> Bool {
        guard key.count == dest.count else { return false }
        var bits = Int(length)
        for i in 0..<key.count where bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xff : ~(0xff >> UInt8(bits))
            if (key[i] ^ dest[i]) & mask != 0 { return false }
            bits -= 8
        }
        return true
    }
}

/// Text forms of addresses for CLI output (VPP's format_ip4_address / format_ip6_address).
enum AddressFormat {
    /// `10.0.0.1` or RFC 5952 IPv6 (`2001:db8::1`).
    static func text(_ bytes: [UInt8]) -> String {
        if bytes.count == 4 { return bytes.map { String($0) }.joined(separator: ".") }
        guard bytes.count == 16 else { return "?" }
        var groups: [UInt16] = []
        for i in stride(from: 0, to: 16, by: 2) { groups.append(UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])) }
        // The longest run (≥ 2) of zero groups becomes "::".
        var bestStart = -1, bestLength = 0, i = 0
        while i < 8 {
            guard groups[i] == 0 else { i += 1; continue }
            var j = i
            while j < 8, groups[j] == 0 { j += 1 }
            if j - i > bestLength { bestStart = i; bestLength = j - i }
            i = j
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestLength >= 2 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    /// `de:ad:00:00:00:00`.
    static func mac(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }
}
