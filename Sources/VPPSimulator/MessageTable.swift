import VPPSchema

/// The running simulator's message ids: `name → id` and `id → name`.
///
/// VPP: memclnt ids are fixed by the static enum in src/vlibmemory/vl_memory_msg_enum.h
/// (1 memclnt_create … 28 get_api_json_reply, memclnt.api order); every other module gets a
/// consecutive range from `VL_MSG_MEMCLNT_LAST + 1` (src/vpp/vnet/main.c:383) in the order
/// modules register (`vl_msg_api_get_msg_ids`, src/vlibapi/api_shared.c:883-923).
public struct MessageTable: Sendable {
    /// memclnt.api's messages in file order: their ids are 1…28.
    public static let memclntOrder = [
        "memclnt_create", "memclnt_create_reply", "memclnt_delete", "memclnt_delete_reply",
        "rx_thread_exit", "memclnt_rx_thread_suspend", "memclnt_read_timeout", "rpc_call", "rpc_call_reply",
        "get_first_msg_id", "get_first_msg_id_reply", "api_versions", "api_versions_reply",
        "trace_plugin_msg_ids", "sockclnt_create", "sockclnt_create_reply", "sockclnt_delete",
        "sockclnt_delete_reply", "sock_init_shm", "sock_init_shm_reply", "memclnt_keepalive",
        "memclnt_keepalive_reply", "control_ping", "control_ping_reply", "memclnt_create_v2",
        "memclnt_create_v2_reply", "get_api_json", "get_api_json_reply",
    ]

    /// Message name by id (index 0 = VL_ILLEGAL_MESSAGE_ID, nil).
    public let names: [String?]
    /// Id by message name.
    public let ids: [String: UInt16]
    /// Modules in the order their ranges were assigned, with each range's first id.
    public let moduleBases: [(module: String, firstID: UInt16, count: Int)]

    /// Assigns ids for `schema` with modules in `order` (memclnt first whatever the order);
    /// `reversed` turns that order around (a "restart with another plugin order").
    public init(schema: Schema, order: ModuleOrder, reversed: Bool = false) {
        var names: [String?] = [nil]
        var ids: [String: UInt16] = [:]
        for n in Self.memclntOrder {
            if schema.messages[n] != nil { ids[n] = UInt16(names.count) }
            names.append(n)
        }
        var bases: [(String, UInt16, Int)] = [("memclnt", 1, Self.memclntOrder.count)]
        var modules = Self.ordered(schema.modules.map(\.name), order)
        if reversed { modules.reverse() }
        for module in modules where module != "memclnt" {
            guard let info = schema.modules.first(where: { $0.name == module }) else { continue }
            let fresh = info.messages.filter { ids[$0] == nil }
            guard !fresh.isEmpty, names.count + fresh.count < Int(UInt16.max) else { continue }
            bases.append((module, UInt16(names.count), fresh.count))
            for n in fresh {
                ids[n] = UInt16(names.count)
                names.append(n)
            }
        }
        self.names = names
        self.ids = ids
        self.moduleBases = bases
    }

    /// The module names of `all` in the order `order` asks for.
    static func ordered(_ all: [String], _ order: ModuleOrder) -> [String] {
        switch order {
        case .loadOrder: return all
        case .reversed: return all.reversed()
        case .custom(let first):
            let head = first.filter { all.contains($0) }
            return head + all.filter { !head.contains($0) }
        }
    }

    /// The message with id `id`, if any.
    public func name(of id: UInt16) -> String? {
        Int(id) < names.count ? names[Int(id)] : nil
    }

    /// Number of ids including the illegal id 0 (VPP's `vec_len (am->msg_data)`).
    public var count: Int { names.count }
}
