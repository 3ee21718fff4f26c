import VPPJSON
import VPPSchema

/// The messages the simulator implements, defined in this project so that it runs on a machine
/// without VPP's `.api.json` files (the demo, CI without the shared data).
///
/// Names, field layouts, defaults and CRCs are VPP 26.06's (src/vlibmemory/memclnt.api,
/// src/vlibmemory/vlib.api, src/vpp/api/vpe.api, src/vnet/interface.api, src/vnet/ip/ip.api and
/// the types they import); a test checks every entry against the 26.06 files. Each line is a
/// compact `.api`-like declaration that `BuiltinAPI.documents()` turns into `.api.json`
/// documents, which then load through the ordinary `SchemaLoader`:
///
/// - `name crc | field; field…` — a message; `@req` = `u16 _vl_msg_id; u32 client_index;
///   u32 context`, `@rep` = `u16 _vl_msg_id; u32 context; i32 retval`.
/// - a field is `type name`, `type name[N]`, `type name[lengthField]` or `type name[]`, then
///   optionally `=<JSON default>`, `@discriminator=<field>` or `@case=<ENUM_MEMBER>`.
/// - `typedef name | fields`, `union name | fields`, `enum name width | A=1; B=2`,
///   `alias name type` or `alias name type[N]`.
enum BuiltinAPI {
    struct Module {
        let name: String
        let crc: String
        let version: String
        let imports: [String]
        let messages: [String]
        /// Services that the implicit rules (X → X_reply, X_dump → X_details) do not give.
        let services: [String]
    }

    static let types: [String] = [
        "typedef module_version | u32 major; u32 minor; u32 patch; string name[64]",
        "typedef message_table_entry | u16 index; string name[64]",
        "typedef thread_data | u32 id; string name[64]; string type[64]; u32 pid; u32 cpu_id; u32 core; u32 cpu_socket",
        "alias timestamp f64",
        "alias interface_index u32",
        "enum if_status_flags u32 | IF_STATUS_API_FLAG_ADMIN_UP=1; IF_STATUS_API_FLAG_LINK_UP=2",
        "enum if_type u32 | IF_API_TYPE_HARDWARE=0; IF_API_TYPE_SUB=1; IF_API_TYPE_P2P=2; IF_API_TYPE_PIPE=3",
        "enum link_duplex u32 | LINK_DUPLEX_API_UNKNOWN=0; LINK_DUPLEX_API_HALF=1; LINK_DUPLEX_API_FULL=2",
        "enum sub_if_flags u32 | SUB_IF_API_FLAG_NO_TAGS=1; SUB_IF_API_FLAG_ONE_TAG=2; SUB_IF_API_FLAG_TWO_TAGS=4; SUB_IF_API_FLAG_DOT1AD=8; SUB_IF_API_FLAG_EXACT_MATCH=16; SUB_IF_API_FLAG_DEFAULT=32; SUB_IF_API_FLAG_OUTER_VLAN_ID_ANY=64; SUB_IF_API_FLAG_INNER_VLAN_ID_ANY=128; SUB_IF_API_FLAG_MASK_VNET=254; SUB_IF_API_FLAG_DOT1AH=256",
        "alias mac_address u8[6]",
        "enum address_family u8 | ADDRESS_IP4=0; ADDRESS_IP6=1",
        "alias ip4_address u8[4]",
        "alias ip6_address u8[16]",
        "union address_union | vl_api_ip4_address_t ip4 @case=ADDRESS_IP4; vl_api_ip6_address_t ip6 @case=ADDRESS_IP6",
        "typedef address | vl_api_address_family_t af; vl_api_address_union_t un @discriminator=af",
        "typedef prefix | vl_api_address_t address; u8 len",
        "alias address_with_prefix vl_api_prefix_t",
    ]

    static let modules: [Module] = [
        Module(name: "memclnt", crc: "0xb197c551", version: "2.1.0", imports: [], messages: [
            "memclnt_create 9c5e1c2f deprecated | u16 _vl_msg_id; u32 context; i32 ctx_quota; u64 input_queue; string name[64]; u32 api_versions[8]",
            "memclnt_create_reply 42ec4560 deprecated | u16 _vl_msg_id; u32 context; i32 response; u64 handle; u32 index; u64 message_table",
            "memclnt_delete 7e1c04e3 | u16 _vl_msg_id; u32 index; u64 handle; bool do_cleanup",
            "memclnt_delete_reply 3d3b6312 | u16 _vl_msg_id; i32 response; u64 handle",
            "rx_thread_exit c3a3a452 | u16 _vl_msg_id; u8 dummy",
            "memclnt_rx_thread_suspend c3a3a452 | u16 _vl_msg_id; u8 dummy",
            "memclnt_read_timeout c3a3a452 | u16 _vl_msg_id; u8 dummy",
            "rpc_call 7e8a2c95 | @req; u64 function; u8 multicast; u8 need_barrier_sync; u8 send_reply; u32 data_len; u8 data[data_len]",
            "rpc_call_reply e8d4e804 | @rep",
            "get_first_msg_id ebf79a66 | @req; string name[64]",
            "get_first_msg_id_reply 7d337472 | @rep; u16 first_msg_id",
            "api_versions 51077d14 | @req",
            "api_versions_reply 5f0d99d6 | @rep; u32 count; vl_api_module_version_t api_versions[count]",
            "trace_plugin_msg_ids f476d3ce | @req; string plugin_name[128]; u16 first_msg_id; u16 last_msg_id",
            "sockclnt_create 455fb9c4 | u16 _vl_msg_id; u32 context; string name[64]",
            "sockclnt_create_reply 35166268 | u16 _vl_msg_id; u32 client_index; u32 context; i32 response; u32 index; u16 count; vl_api_message_table_entry_t message_table[count]",
            "sockclnt_delete 8ac76db6 | @req; u32 index",
            "sockclnt_delete_reply 8f38b1ee | u16 _vl_msg_id; u32 context; i32 response",
            "sock_init_shm 51646d92 | @req; u32 requested_size; u8 nitems; u64 configs[nitems]",
            "sock_init_shm_reply e8d4e804 | @rep",
            "memclnt_keepalive 51077d14 | @req",
            "memclnt_keepalive_reply e8d4e804 | @rep",
            "control_ping 51077d14 | @req",
            "control_ping_reply f6b0b8ca | @rep; u32 client_index; u32 vpe_pid",
            #"memclnt_create_v2 c4bd4882 | u16 _vl_msg_id; u32 context; i32 ctx_quota; u64 input_queue; string name[64]; u32 api_versions[8]; bool keepalive ="true""#,
            "memclnt_create_v2_reply 42ec4560 | u16 _vl_msg_id; u32 context; i32 response; u64 handle; u32 index; u64 message_table",
            "get_api_json 51077d14 | @req",
            "get_api_json_reply ea715b59 | @rep; string json[]",
        ], services: ["memclnt_rx_thread_suspend -> null", "memclnt_read_timeout -> null", "rx_thread_exit -> null",
                      "trace_plugin_msg_ids -> null"]),
        Module(name: "vlib", crc: "0x9a9e84e4", version: "1.0.0", imports: [], messages: [
            "cli 23bfbfff | @req; u64 cmd_in_shmem",
            "cli_inband f8377302 | @req; string cmd[]",
            "cli_reply 06d68297 | @rep; u64 reply_in_shmem",
            "cli_inband_reply 05879051 | @rep; string reply[]",
            "show_threads 51077d14 | @req",
            "show_threads_reply efd78e83 | @rep; u32 count; vl_api_thread_data_t thread_data[count]",
            "get_f64_endian_value 809fcd44 | @req; f64 f64_one =1.0",
            "get_f64_endian_value_reply 7e02e404 | u16 _vl_msg_id; u32 context; u32 retval; f64 f64_one_result",
            "get_f64_increment_by_one b64f027e | @req; f64 f64_value =1.0",
            "get_f64_increment_by_one_reply d25dbaa3 | u16 _vl_msg_id; u32 context; u32 retval; f64 f64_value",
        ], services: []),
        Module(name: "vpe", crc: "0xbbfa7484", version: "1.7.0", imports: ["vpp/api/vpe_types.api"], messages: [
            "show_version 51077d14 | @req",
            "show_version_reply c919bde1 | @rep; string program[32]; string version[32]; string build_date[32]; string build_directory[256]",
            "show_vpe_system_time 51077d14 | @req",
            "show_vpe_system_time_reply 7ffd8193 | @rep; vl_api_timestamp_t vpe_system_time",
        ], services: []),
        Module(name: "interface", crc: "0xcf7004cc", version: "3.2.4",
               imports: ["vnet/interface_types.api", "vnet/ethernet/ethernet_types.api", "vnet/ip/ip_types.api"], messages: [
            "sw_interface_set_flags f5aec1b8 | @req; vl_api_interface_index_t sw_if_index; vl_api_if_status_flags_t flags",
            "sw_interface_set_flags_reply e8d4e804 | @rep",
            "sw_interface_event 2d3d95a7 | u16 _vl_msg_id; u32 client_index; u32 pid; vl_api_interface_index_t sw_if_index; vl_api_if_status_flags_t flags; bool deleted",
            "want_interface_events 476f5a08 | @req; u32 enable_disable; u32 pid",
            "want_interface_events_reply e8d4e804 | @rep",
            "sw_interface_details 6c221fc7 | u16 _vl_msg_id; u32 context; vl_api_interface_index_t sw_if_index; u32 sup_sw_if_index; vl_api_mac_address_t l2_address; vl_api_if_status_flags_t flags; vl_api_if_type_t type; vl_api_link_duplex_t link_duplex; u32 link_speed; u16 link_mtu; u32 mtu[4]; u32 sub_id; u8 sub_number_of_tags; u16 sub_outer_vlan_id; u16 sub_inner_vlan_id; vl_api_sub_if_flags_t sub_if_flags; u32 vtr_op; u32 vtr_push_dot1q; u32 vtr_tag1; u32 vtr_tag2; u16 outer_tag; vl_api_mac_address_t b_dmac; vl_api_mac_address_t b_smac; u16 b_vlanid; u32 i_sid; string interface_name[64]; string interface_dev_type[64]; string tag[64]",
            "sw_interface_dump aa610c27 | @req; vl_api_interface_index_t sw_if_index =4294967295; bool name_filter_valid; string name_filter[]",
            "sw_interface_add_del_address 5463d73b | @req; vl_api_interface_index_t sw_if_index; bool is_add; bool del_all; vl_api_address_with_prefix_t prefix",
            "sw_interface_add_del_address_reply e8d4e804 | @rep",
            "sw_interface_tag_add_del 426f8bc1 | @req; bool is_add; vl_api_interface_index_t sw_if_index; string tag[64]",
            "sw_interface_tag_add_del_reply e8d4e804 | @rep",
            "sw_interface_tx_placement_get 47250981 | @req; u32 cursor; vl_api_interface_index_t sw_if_index",
            "sw_interface_tx_placement_get_reply 53b48f5d | @rep; u32 cursor",
            "sw_interface_tx_placement_details 00381a2e | @req; vl_api_interface_index_t sw_if_index; u32 queue_id; u8 shared; u32 array_size; u32 threads[array_size]",
            "create_loopback 42bb5d22 | @req; vl_api_mac_address_t mac_address",
            "create_loopback_reply 5383d31f | @rep; vl_api_interface_index_t sw_if_index",
            "create_loopback_instance d36a3ee2 | @req; vl_api_mac_address_t mac_address; bool is_specified; u32 user_instance",
            "create_loopback_instance_reply 5383d31f | @rep; vl_api_interface_index_t sw_if_index",
            "delete_loopback f9e6675e | @req; vl_api_interface_index_t sw_if_index",
            "delete_loopback_reply e8d4e804 | @rep",
        ], services: ["want_interface_events -> want_interface_events_reply events sw_interface_event",
                      "sw_interface_tx_placement_get -> sw_interface_tx_placement_get_reply stream sw_interface_tx_placement_details"]),
        Module(name: "ip", crc: "0xc55aec44", version: "3.2.0",
               imports: ["vnet/interface_types.api", "vnet/ip/ip_types.api"], messages: [
            "ip_address_details ee29b797 | u16 _vl_msg_id; u32 context; vl_api_interface_index_t sw_if_index; vl_api_address_with_prefix_t prefix",
            "ip_address_dump 2d033de4 | @req; vl_api_interface_index_t sw_if_index; bool is_ipv6",
        ], services: []),
    ]

    /// A malformed built-in line (a bug in this file; the test suite loads every line).
    struct DefinitionError: Error, CustomStringConvertible {
        let line: String
        var description: String { "malformed built-in API definition: \(line)" }
    }

    /// One `.api.json` document per module, as (module name, JSON text), in registration order.
    static func documents() throws(DefinitionError) -> [(String, String)] {
        var typeDecls: [String: Declaration] = [:]
        for line in types {
            let d = try Declaration(line)
            typeDecls[d.name] = d
        }
        return try modules.map { m throws(DefinitionError) in (m.name, try document(m, typeDecls).jsonText) }
    }
}

extension VPPSimulator {
    /// The schema of the built-in definitions: what a simulator started without `apiDirectories`
    /// speaks (and `vpp-gateway serve --simulate` serves), for tools that describe it offline.
    public static func builtinSchema() throws -> Schema {
        try APIModel(builtin: ()).schema
    }
}
