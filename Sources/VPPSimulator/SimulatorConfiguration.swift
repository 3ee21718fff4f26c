/// How the simulator orders API modules when it hands out message ids.
///
/// VPP numbers memclnt statically (ids 1–28) and every other module at runtime, in the order
/// the modules register (`vl_msg_api_get_msg_ids`, src/vlibapi/api_shared.c:883-923), so ids
/// differ between VPP builds and plugin sets. A client that hard-codes ids breaks; changing the
/// order here is how tests prove a client rebuilds its `name_crc → id` map on every connect.
public enum ModuleOrder: Sendable, Equatable {
    /// The schema's load order (folders sorted by path; built-in: memclnt, vlib, vpe, interface, ip).
    case loadOrder
    /// The load order reversed (memclnt still first: its ids are fixed).
    case reversed
    /// These modules first, in this order, then the rest in load order.
    case custom([String])
}

/// What the simulator answers to a request of its schema that it has no behaviour for.
///
/// Real VPP would run the plugin's handler; the simulator cannot. Answering with zeros and
/// retval 0 would tell a client that an operation it never performed succeeded, so the default
/// is the schema's reply with `retval` = -9 (`VNET_API_ERROR_UNIMPLEMENTED`, src/vnet/error.h:20)
/// and every other field zero. Dumps are always answered with zero details (the client's
/// `control_ping` still closes them), and requests without a reply get nothing.
public enum UnimplementedRequestPolicy: Sendable, Equatable {
    /// Reply with this retval and every other field zero (default -9 UNIMPLEMENTED).
    case reply(retval: Int32)
    /// Send nothing, as VPP does for a message id without a handler (api_shared.c:570).
    case noReply
}

/// Everything a simulator is started with.
///
/// A value type so that the same configuration can start several simulators in one test
/// process (each with its own socket path).
public struct SimulatorConfiguration: Sendable {
    /// Path of the Unix stream socket to listen on (removed first if it is a stale socket).
    public var socketPath: String
    /// `.api.json` files or folders that define the API; empty = the built-in definitions
    /// (memclnt, vlib, vpe, interface, ip of VPP 26.06), so the demo needs no VPP files.
    public var apiDirectories: [String]
    /// Loopbacks to create at start (`loop0` … `loopN-1`), beside `local0`.
    public var interfaces: Int
    /// Details per round of a get/stream (cursor) call before the reply says -165 EAGAIN.
    /// VPP stops after 1 ms of work (VL_API_MAX_TIME_IN_HANDLER, src/vlibmemory/api.h:49);
    /// a small count makes the cursor loop happen in tests.
    public var streamPageSize: Int
    /// Module order for message ids (memclnt stays 1–28).
    public var moduleOrder: ModuleOrder
    /// Behaviour for requests the simulator does not implement.
    public var unimplemented: UnimplementedRequestPolicy
    /// Fill bytes 0-7 and 12-15 of some outgoing headers with non-zero values, as VPP does
    /// (it copies its in-memory `msgbuf_t`, socket_api.c:133), so clients that read more than
    /// `data_len` fail in tests.
    public var headerJunk: Bool
    /// The pid reported in `control_ping_reply.vpe_pid`; nil = this process's pid.
    public var vpePID: UInt32?
    /// The `version` of `show_version_reply` and `show version`.
    public var version: String
    /// Worker threads reported by `show_threads` and used for tx placement (0 = main only).
    public var workers: Int

    /// A configuration with VPP-like defaults.
    public init(socketPath: String, apiDirectories: [String] = [], interfaces: Int = 0,
                streamPageSize: Int = 3, moduleOrder: ModuleOrder = .loadOrder,
                unimplemented: UnimplementedRequestPolicy = .reply(retval: -9), headerJunk: Bool = true,
                vpePID: UInt32? = nil, version: String = "26.06-release", workers: Int = 0) {
        self.socketPath = socketPath
        self.apiDirectories = apiDirectories
        self.interfaces = interfaces
        self.streamPageSize = streamPageSize
        self.moduleOrder = moduleOrder
        self.unimplemented = unimplemented
        self.headerJunk = headerJunk
        self.vpePID = vpePID
        self.version = version
        self.workers = workers
    }
}
