import VPPSchema

/// The memclnt API (module `memclnt`, version 2.1.0, VPP 26.06 src/vlibmemory/memclnt.api),
/// built in because the handshake needs it before any schema is known and because VPP's
/// `get_api_json` does not include it: memclnt is registered from a static enum, not by
/// the generated `setup_message_id_table` that appends to `json_api_repr`
/// (vppapigen_c.py:1737, memclnt_api.c:154).
enum Memclnt {
    /// memclnt message ids are fixed: numbered from the static enum that starts at
    /// `VL_ILLEGAL_MESSAGE_ID = 0` (src/vlibmemory/vl_memory_msg_enum.h), in the order of
    /// memclnt.api. vpp_papi and GoVPP hard-code 15/16 the same way
    /// (vpp_transport_socket.py:112-117, govpp socketclient.go `sockCreateMsgId = 15`).
    static let fixedIDs: [String: UInt16] = [
        "memclnt_create": 1, "memclnt_create_reply": 2, "memclnt_delete": 3, "memclnt_delete_reply": 4,
        "rx_thread_exit": 5, "memclnt_rx_thread_suspend": 6, "memclnt_read_timeout": 7,
        "rpc_call": 8, "rpc_call_reply": 9, "get_first_msg_id": 10, "get_first_msg_id_reply": 11,
        "api_versions": 12, "api_versions_reply": 13, "trace_plugin_msg_ids": 14,
        "sockclnt_create": 15, "sockclnt_create_reply": 16, "sockclnt_delete": 17, "sockclnt_delete_reply": 18,
        "sock_init_shm": 19, "sock_init_shm_reply": 20, "memclnt_keepalive": 21, "memclnt_keepalive_reply": 22,
        "control_ping": 23, "control_ping_reply": 24, "memclnt_create_v2": 25, "memclnt_create_v2_reply": 26,
        "get_api_json": 27, "get_api_json_reply": 28,
    ]

    static let sockclntCreate: UInt16 = 15
    static let sockclntCreateReply: UInt16 = 16
    static let sockclntDelete: UInt16 = 17
    static let sockclntDeleteReply: UInt16 = 18
    static let controlPing: UInt16 = 23
    static let controlPingReply: UInt16 = 24
    static let getAPIJSON: UInt16 = 27
    static let getAPIJSONReply: UInt16 = 28

    /// The memclnt schema (loaded once; comments stripped from VPP's memclnt.api.json).
    static let schema: Schema = {
        var loader = SchemaLoader()
        loader.add(json: Array(json.utf8), source: "built-in memclnt.api.json", fallbackModule: "memclnt")
        return loader.buildAllowingProblems().0
    }()

    /// VPP 26.06 memclnt.api.json without comments.
    static let json = #"""
{"module":"memclnt","vl_api_version":"0xb197c551","options":{"version":"2.1.0"},"imports":[],"aliases":{},"enums":[],"enumflags":[],"unions":[],
"types":[
  ["module_version",["u32","major"],["u32","minor"],["u32","patch"],["string","name",64]],
  ["message_table_entry",["u16","index"],["string","name",64]]
],
"messages":[
  ["memclnt_create",["u16","_vl_msg_id"],["u32","context"],["i32","ctx_quota"],["u64","input_queue"],["string","name",64],["u32","api_versions",8],{"crc":"0x9c5e1c2f","options":{"deprecated":null}}],
  ["memclnt_create_reply",["u16","_vl_msg_id"],["u32","context"],["i32","response"],["u64","handle"],["u32","index"],["u64","message_table"],{"crc":"0x42ec4560","options":{"deprecated":null}}],
  ["memclnt_delete",["u16","_vl_msg_id"],["u32","index"],["u64","handle"],["bool","do_cleanup"],{"crc":"0x7e1c04e3","options":{}}],
  ["memclnt_delete_reply",["u16","_vl_msg_id"],["i32","response"],["u64","handle"],{"crc":"0x3d3b6312","options":{}}],
  ["rx_thread_exit",["u16","_vl_msg_id"],["u8","dummy"],{"crc":"0xc3a3a452","options":{}}],
  ["memclnt_rx_thread_suspend",["u16","_vl_msg_id"],["u8","dummy"],{"crc":"0xc3a3a452","options":{}}],
  ["memclnt_read_timeout",["u16","_vl_msg_id"],["u8","dummy"],{"crc":"0xc3a3a452","options":{}}],
  ["rpc_call",["u16","_vl_msg_id"],["u32","client_index"],["u32","context"],["u64","function"],["u8","multicast"],["u8","need_barrier_sync"],["u8","send_reply"],["u32","data_len"],["u8","data",0,"data_len"],{"crc":"0x7e8a2c95","options":{}}],
  ["rpc_call_reply",["u16","_vl_msg_id"],["u32","context"],["i32","retval"],{"crc":"0xe8d4e804","options":{}}],
  ["get_first_msg_id",["u16","_vl_msg_id"],["u32","client_index"],["u32","context"],["string","name",64],{"crc":"0xebf79a66","options":{}}],
  ["get_first_msg_id_reply",["u16","_vl_msg_id"],["u32","context"],["i32","retval"],["u16","first_msg_id"],{"crc":"0x7d337472","options":{}}],
  ["api_versions",["u16","_vl_msg_id"],["u32","client_index"],["u32","context"],{"crc":"0x51077d14","options":{}}],
  ["api_versions_reply",["u16","_vl_msg_id"],["u32","context"],["i32","retval"],["u32","count"],["vl_api_module_version_t","api_versions",0,"count"],{"crc":"0x5f0d99d6","options":{}}],
  ["trace_plugin_msg_ids",["u16","_vl_msg_id"],["u32","client_index"],["u32","context"],["string","plugin_name",128],["u16","first_msg_id"],["u16","last_msg_id"],{"crc":"0xf476d3ce","options":{}}],
  ["sockclnt_create",["u16","_vl_msg_id"],["u32","context"],["string","name",64],{"crc":"0x455fb9c4","options":{}}],
  ["sockclnt_create_reply",["u16","_vl_msg_id"],["u32","client_index"],["u32","context"],["i32","response"],["u32","index"],["u16","count"],["vl_api_message_table_entry_t","message_table",0,"count"],{"crc":"0x35166268","options":{}}],
  ["sockclnt_delete",["u16","_vl_msg_id"],["u32","client_index"],["u32","context"],["u32","index"],{"crc":"0x8ac76db6","options":{}}],
  ["sockclnt_delete_reply",["u16","_vl_msg_id"],["u32","context"],["i32","response"],{"crc":"0x8f38b1ee","options":{}}],
  ["sock_init_shm",["u16","_vl_msg_id"],["u32","client_index"],["u32","context"],["u32","requested_size"],["u8","nitems"],["u64","configs",0,"nitems"],{"crc":"0x51646d92","options":{}}],
  ["sock_init_shm_reply",["u16","_vl_msg_id"],["u32","context"],["i32","retval"],{"crc":"0xe8d4e804","options":{}}],
  ["memclnt_keepalive",["u16","_vl_msg_id"],["u32","client_index"],["u32","context"],{"crc":"0x51077d14","options":{}}],
  ["memclnt_keepalive_reply",["u16","_vl_msg_id"],["u32","context"],["i32","retval"],{"crc":"0xe8d4e804","options":{}}],
  ["control_ping",["u16","_vl_msg_id"],["u32","client_index"],["u32","context"],{"crc":"0x51077d14","options":{}}],
  ["control_ping_reply",["u16","_vl_msg_id"],["u32","context"],["i32","retval"],["u32","client_index"],["u32","vpe_pid"],{"crc":"0xf6b0b8ca","options":{}}],
  ["memclnt_create_v2",["u16","_vl_msg_id"],["u32","context"],["i32","ctx_quota"],["u64","input_queue"],["string","name",64],["u32","api_versions",8],["bool","keepalive",{"default":"true"}],{"crc":"0xc4bd4882","options":{}}],
  ["memclnt_create_v2_reply",["u16","_vl_msg_id"],["u32","context"],["i32","response"],["u64","handle"],["u32","index"],["u64","message_table"],{"crc":"0x42ec4560","options":{}}],
  ["get_api_json",["u16","_vl_msg_id"],["u32","client_index"],["u32","context"],{"crc":"0x51077d14","options":{}}],
  ["get_api_json_reply",["u16","_vl_msg_id"],["u32","context"],["i32","retval"],["string","json",0],{"crc":"0xea715b59","options":{}}]
],
"services":{"memclnt_rx_thread_suspend":{"reply":"null"},"memclnt_read_timeout":{"reply":"null"},"rx_thread_exit":{"reply":"null"},"trace_plugin_msg_ids":{"reply":"null"},"memclnt_create":{"reply":"memclnt_create_reply"},"memclnt_delete":{"reply":"memclnt_delete_reply"},"rpc_call":{"reply":"rpc_call_reply"},"get_first_msg_id":{"reply":"get_first_msg_id_reply"},"api_versions":{"reply":"api_versions_reply"},"sockclnt_create":{"reply":"sockclnt_create_reply"},"sockclnt_delete":{"reply":"sockclnt_delete_reply"},"sock_init_shm":{"reply":"sock_init_shm_reply"},"memclnt_keepalive":{"reply":"memclnt_keepalive_reply"},"control_ping":{"reply":"control_ping_reply"},"memclnt_create_v2":{"reply":"memclnt_create_v2_reply"},"get_api_json":{"reply":"get_api_json_reply"}}}
"""#
}
