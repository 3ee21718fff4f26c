#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import Synchronization
import VPPCodec
import VPPJSON
import VPPSchema

/// A stand-in for VPP's binary-API socket that speaks the real protocol, for tests, the
/// no-VPP demo and benchmarks.
///
/// It listens on a Unix stream socket and behaves as VPP 26.06 does on the wire: 16-byte
/// `msgbuf_t` headers, the `sockclnt_create` handshake with fixed memclnt ids 1–28 and a
/// per-module id table, replies routed by `client_index`, dumps closed by the client's
/// `control_ping`, get/stream cursors with -165, want_* pub/sub with -31, and silence for
/// unknown ids, bad client indexes and truncated messages. Behind it is real state: an
/// interface table (local0 + loopbacks) with addresses, tags and link/admin state that emits
/// `sw_interface_event`s with VPP's delta semantics.
///
/// One thread serves every client in arrival order, like VPP's main thread. Requests of the
/// schema it has no behaviour for are answered per `SimulatorConfiguration.unimplemented`
/// (default: the reply with retval -9 UNIMPLEMENTED; dumps: no details). All methods are
/// thread-safe; state-changing ones take effect before the loop handles any connection or
/// message that arrives after they return.
public final class VPPSimulator: Sendable {
    /// What it was started with.
    public let configuration: SimulatorConfiguration
    /// Delay and drop faults for replies.
    public let faults: SimulatorFaults
    private let api: APIModel
    private let shared: SimulatorShared
    private let logger: Logger
    private let lifecycle = Mutex<Lifecycle>(.created)

    private enum Lifecycle { case created, running, stopped }

    /// Loads the schema (the `.api.json` folders, or the built-in definitions) and prepares
    /// the message table. Throws the schema loader's error when the files are unusable.
    public init(configuration: SimulatorConfiguration, logger: Logger = Logger(label: "vpp-simulator")) throws {
        self.configuration = configuration
        self.logger = logger
        api = configuration.apiDirectories.isEmpty ? try APIModel(builtin: ()) : try APIModel.loading(directories: configuration.apiDirectories)
        faults = SimulatorFaults()
        let pid = configuration.vpePID ?? UInt32(truncatingIfNeeded: Int(getpid()))
        shared = try SimulatorShared(table: MessageTable(schema: api.schema, order: configuration.moduleOrder),
                                     pid: pid, faults: faults)
    }

    deinit {
        if lifecycle.withLock({ $0 }) == .running { shared.post(.stop) }
    }

    /// The socket path clients connect to.
    public var socketPath: String { configuration.socketPath }

    /// The schema the simulator speaks (for tests that encode requests).
    public var schema: Schema { api.schema }

    /// The current message ids (they change on `restart(reorderModules: true)`).
    public var messageTable: MessageTable { shared.currentTable }

    /// The pid `control_ping_reply` reports; setting it simulates another VPP process.
    public var vpePID: UInt32 {
        get { shared.pid.load(ordering: .relaxed) }
        set { shared.pid.store(newValue, ordering: .relaxed) }
    }

    /// Binds the socket (replacing a stale socket file) and starts the loop thread.
    public func start() throws {
        try lifecycle.withLock { state throws(SimulatorError) in
            guard state == .created else { throw SimulatorError.notStartable }
            let (fd, inode) = try Listener.bind(path: configuration.socketPath)
            let seed = LoopSeed(api: api, configuration: configuration, shared: shared, logger: logger,
                                listenFD: fd, socketInode: inode)
            let shared = self.shared
            let thread = Thread {
                // Named from inside: on Linux a name set before start() is not applied.
                Thread.current.name = "vpp-simulator"
                SimulatorLoop(seed).run()
                shared.markExited()
            }
            thread.start()
            state = .running
        }
    }

    /// Stops the loop, closes every client and removes the socket file.
    public func stop() async {
        let wasRunning = lifecycle.withLock { state in
            defer { state = .stopped }
            return state == .running
        }
        guard wasRunning else { return }
        shared.post(.stop)
        await shared.waitForExit()
    }

    /// Emits an event message of the schema to every client registered through the matching
    /// want_* message (`Schema.registration(for:)`), with each registration's client_index
    /// and pid filled in. `fields` is canonical JSON (missing fields: defaults, else zero).
    public func emitEvent(_ name: String, _ fields: JSONValue) throws {
        guard api.schema.messages[name] != nil else { throw SimulatorError.unknownMessage(name) }
        guard let registration = api.schema.registration(for: name) else { throw SimulatorError.noRegistrationFor(name) }
        let payload = try api.codec.encode(fields, as: name, header: MessageHeader(messageID: 0, clientIndex: 0, context: 0))
        shared.post(.emit(name: name, registration: registration, payload: payload))
    }

    /// Simulates a VPP restart: every client is dropped and every registration forgotten,
    /// interfaces return to the configured start state, `vpe_pid` changes, and with
    /// `reorderModules` the non-memclnt ids are assigned in another module order.
    /// `messageTable` and `vpePID` show the new values as soon as this returns.
    public func restart(reorderModules: Bool = true) {
        let flips = reorderModules ? shared.restarts.wrappingAdd(1, ordering: .relaxed).newValue : shared.restarts.load(ordering: .relaxed)
        let table = MessageTable(schema: api.schema, order: configuration.moduleOrder, reversed: flips % 2 == 1)
        shared.currentTable = table
        let old = shared.pid.load(ordering: .relaxed)
        shared.pid.store(old == UInt32.max ? 1 : old &+ 1, ordering: .relaxed)
        shared.post(.restart(table))
    }

    /// Closes every client connection (as if VPP closed them); registrations are reaped.
    public func closeAllConnections() {
        shared.post(.closeAll)
    }

    /// Sets an interface's hardware link state (what a cable pull does); emits link events.
    public func setLinkState(swIfIndex: UInt32, up: Bool) {
        shared.post(.setLink(swIfIndex, up))
    }

    /// Sets an interface's admin state as `sw_interface_set_flags` would.
    public func setAdminState(swIfIndex: UInt32, up: Bool) {
        shared.post(.setAdmin(swIfIndex, up))
    }

    /// Sets the rx/tx packet and byte counters `show interface` prints.
    public func setCounters(swIfIndex: UInt32, rxPackets: UInt64, rxBytes: UInt64, txPackets: UInt64, txBytes: UInt64) {
        shared.post(.setCounters(swIfIndex, rx: (rxPackets, rxBytes), tx: (txPackets, txBytes)))
    }

    /// Sends `count` `sw_interface_event`s to the registered clients — at once, or at
    /// `ratePerSecond` — without changing interface state: a load generator for event paths.
    public func floodEvents(count: Int, ratePerSecond: Double? = nil) {
        shared.post(.flood(count: count, ratePerSecond: ratePerSecond))
    }

    /// Toggles the link state of the loopbacks in turn at `ratePerSecond` (0 stops): real
    /// state changes producing `sw_interface_event`s, for the demo's event stream.
    public func toggleLinks(ratePerSecond: Double) {
        shared.post(.toggleLinks(ratePerSecond: ratePerSecond))
    }

    /// How many messages named `name` the simulator has received (known ids only; messages
    /// with unknown ids count under "<unknown>"), so tests can assert e.g. exactly one
    /// `want_interface_events` was sent.
    public func receivedCount(_ name: String) -> Int {
        shared.count(name)
    }

    /// Sets every received-message counter back to zero.
    public func resetReceivedCounts() {
        shared.resetCounts()
    }
}

/// Creates the listening socket.
enum Listener {
    /// VPP: clib_socket_init with CLIB_SOCKET_F_IS_SERVER (socket_api.c:813): AF_UNIX
    /// SOCK_STREAM, a stale socket file is replaced. A socket file that a process still
    /// accepts on (a real VPP, another simulator) is refused: replacing it would cut that
    /// process off from every new client. Returns the descriptor and the socket file's
    /// inode, so that stopping removes the file only while it is still ours.
    static func bind(path: String) throws(SimulatorError) -> (Int32, UInt64) {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard bytes.count < capacity else { throw .socketPathTooLong(path) }
        withUnsafeMutableBytes(of: &addr.sun_path) { p in
            for (i, b) in bytes.enumerated() { p[i] = b }
        }
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw .system("socket", errno) }
        var st = stat()
        if lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK {
            if isAccepting(&addr) {
                Wire.closeDescriptor(fd)
                throw .socketInUse(path)
            }
            unlink(path)
        }
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else {
            let e = errno
            Wire.closeDescriptor(fd)
            throw .system("bind \(path)", e)
        }
        guard listen(fd, 128) == 0 else {
            let e = errno
            Wire.closeDescriptor(fd)
            throw .system("listen", e)
        }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        var bound = stat()
        let inode = lstat(path, &bound) == 0 ? UInt64(bound.st_ino) : 0
        return (fd, inode)
    }

    /// Whether a process accepts connections on the socket at `addr` (a stale file refuses).
    private static func isAccepting(_ addr: inout sockaddr_un) -> Bool {
        #if canImport(Glibc)
        let probe = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let probe = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard probe >= 0 else { return false }
        defer { Wire.closeDescriptor(probe) }
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(probe, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        return rc == 0
    }

    /// Removes the socket file if it is still the one `bind` created (`inode`): a successor
    /// that replaced it keeps its own.
    static func remove(path: String, inode: UInt64) {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFSOCK, UInt64(st.st_ino) == inode else { return }
        unlink(path)
    }
}
