import VPPCodec
import VPPJSON

/// A realistic message for the codec benchmark, given as (possibly partial) JSON; the codec
/// fills the rest from defaults, and the benchmark then uses the bytes and their canonical JSON.
struct SampleMessage {
    /// The message name.
    let name: String
    /// The row label.
    let label: String
    /// JSON text of the message (header fields excluded).
    let spec: String
    /// Header values, which JSON does not carry.
    let header: MessageHeader
}

enum SampleMessages {
    static let context: UInt32 = 0x1122_3344

    static var all: [SampleMessage] {
        [swInterfaceDetails, ipRouteAddDel, cliInbandReply, l2MacsEvent]
    }

    /// A typical physical interface as `sw_interface_dump` returns it.
    static var swInterfaceDetails: SampleMessage {
        SampleMessage(
            name: "sw_interface_details", label: "sw_interface_details",
            spec: """
                {"sw_if_index":1,"sup_sw_if_index":1,"l2_address":"08:00:27:6b:1e:5c",
                 "flags":["IF_STATUS_API_FLAG_ADMIN_UP","IF_STATUS_API_FLAG_LINK_UP"],
                 "type":"IF_API_TYPE_HARDWARE","link_duplex":"LINK_DUPLEX_API_FULL",
                 "link_speed":10000000,"link_mtu":9000,"mtu":[9000,0,0,0],
                 "sub_id":0,"sub_number_of_tags":0,"sub_outer_vlan_id":0,"sub_inner_vlan_id":0,
                 "sub_if_flags":0,"vtr_op":0,"vtr_push_dot1q":0,"vtr_tag1":0,"vtr_tag2":0,
                 "outer_tag":0,"b_dmac":"00:00:00:00:00:00","b_smac":"00:00:00:00:00:00",
                 "b_vlanid":0,"i_sid":0,"interface_name":"GigabitEthernet0/8/0",
                 "interface_dev_type":"virtio","tag":"uplink-a"}
                """,
            header: MessageHeader(messageID: 0x0115, context: context))
    }

    /// An ECMP route over four next hops.
    static var ipRouteAddDel: SampleMessage {
        let paths = (1...4).map { i in
            """
            {"sw_if_index":\(i),"table_id":0,"rpf_id":0,"weight":1,"preference":0,
             "type":"FIB_API_PATH_TYPE_NORMAL","flags":[],"proto":"FIB_API_PATH_NH_PROTO_IP4",
             "nh":{"address":{"ip4":"192.168.\(i).1"},"via_label":0,"obj_id":0,
                   "classify_table_index":4294967295},
             "n_labels":0}
            """
        }
        return SampleMessage(
            name: "ip_route_add_del", label: "ip_route_add_del (4 paths)",
            spec: """
                {"is_add":true,"is_multipath":true,
                 "route":{"table_id":0,"stats_index":0,"prefix":"10.10.0.0/16","n_paths":4,
                          "paths":[\(paths.joined(separator: ","))]}}
                """,
            header: MessageHeader(messageID: 0x0120, clientIndex: 1, context: context))
    }

    /// A `show interface`-style CLI reply of exactly 4096 bytes (newlines included, as real
    /// CLI output has, so JSON escaping is exercised).
    static var cliInbandReply: SampleMessage {
        var text = "              Name               Idx    State  MTU (L3/IP4/IP6/MPLS)     Counter          Count\n"
        var i = 0
        while text.utf8.count < 4096 {
            text += "GigabitEthernet0/8/\(i % 8)              \(i % 8 + 1)      up          9000/0/0/0     "
                + "rx packets \(1_000_000 + i * 7919)\n"
            i += 1
        }
        text = String(decoding: Array(text.utf8.prefix(4095)) + [UInt8(ascii: "\n")], as: UTF8.self)
        return SampleMessage(
            name: "cli_inband_reply", label: "cli_inband_reply (4 KiB)",
            spec: "{\"retval\":0,\"reply\":\(jsonString(text))}",
            header: MessageHeader(messageID: 0x0109, context: context))
    }

    /// A MAC learning event carrying 100 entries.
    static var l2MacsEvent: SampleMessage {
        let actions = ["MAC_EVENT_ACTION_API_ADD", "MAC_EVENT_ACTION_API_DELETE", "MAC_EVENT_ACTION_API_MOVE"]
        let macs = (0..<100).map { i in
            let mac = "52:54:00:\(hex2(i >> 8)):\(hex2(i & 0xFF)):\(hex2((i * 37) & 0xFF))"
            return "{\"sw_if_index\":\(i % 4 + 1),\"mac_addr\":\"\(mac)\",\"action\":\"\(actions[i % 3])\",\"flags\":0}"
        }
        return SampleMessage(
            name: "l2_macs_event", label: "l2_macs_event (100 MACs)",
            spec: "{\"pid\":4242,\"n_macs\":100,\"mac\":[\(macs.joined(separator: ","))]}",
            header: MessageHeader(messageID: 0x0135, clientIndex: 1))
    }

    private static func hex2(_ v: Int) -> String {
        String(decoding: [hexDigits[(v >> 4) & 0xF], hexDigits[v & 0xF]], as: UTF8.self)
    }

    private static func jsonString(_ s: String) -> String {
        var w = JSONWriter()
        w.string(s)
        return String(decoding: w.bytes, as: UTF8.self)
    }
}
