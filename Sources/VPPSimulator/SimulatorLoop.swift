#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// Everything the loop thread is started with (all `Sendable`, handed across the thread).
struct LoopSeed: Sendable {
    let api: APIModel
    let configuration: SimulatorConfiguration
    let shared: SimulatorShared
    let logger: Logger
    let listenFD: Int32
    /// The inode of the socket file bound for `listenFD` (see `Listener.remove`).
    let socketInode: UInt64
}

/// A want_* registration: VPP's `vpe_client_registration_t` (client_index and pid kept raw,
/// api_helper_macros.h:633-691).
struct Registration {
    let clientIndex: UInt32
    let pid: UInt32
    /// What else identifies it, for the rules that key by more than the client
    /// (`RegistrationRule`): the argument bytes of an ip_neighbor watcher, a wireguard peer.
    var selector: [UInt8] = []
}

/// Work the loop does on a timer (event floods at a rate, link toggling).
struct PeriodicTask {
    var next: UInt64
    let interval: UInt64
    /// Remaining runs; nil = until stopped.
    var remaining: Int?
    let action: Action

    enum Action {
        case floodEvent
        case toggleLink
        /// The end of a `want_ping_finished_events` ping: its `ping_finished_event`.
        case pingFinished(clientIndex: UInt32, requestCount: UInt32, replyCount: UInt32)
    }
}

/// The simulator's single "main thread": one poll loop serving every client's messages in
/// arrival order, like VPP's `vl_api_clnt_process` (memclnt_api.c:305-480, socket_api.c:256-378).
///
/// Owned by its thread; nothing here is locked. The public API reaches it through
/// `SimulatorShared`'s command queue.
final class SimulatorLoop {
    let api: APIModel
    let config: SimulatorConfiguration
    let shared: SimulatorShared
    let logger: Logger
    let listenFD: Int32
    let socketInode: UInt64

    var table: MessageTable
    var handlers: [Handler?] = []
    /// VPP's socket registration pool; index 0 is the listening socket's registration
    /// (vl_sock_api_init, socket_api.c:816-826), so the first client gets index 1.
    var connections: [Connection?] = [nil]
    var interfaces = InterfaceTable()
    /// want_* message name → registrations in pool order.
    var registrations: [String: [Registration]] = [:]
    var junk: Wire.JunkSource
    var templates = ReplyTemplates()
    var receivedByID: [Int] = []
    var tasks: [PeriodicTask] = []
    var stopping = false
    var floodCounter = 0
    var toggleCounter = 0
    /// Time of the current batch (ns, monotonic).
    var now: UInt64 = 0

    init(_ seed: LoopSeed) {
        api = seed.api
        config = seed.configuration
        shared = seed.shared
        logger = seed.logger
        listenFD = seed.listenFD
        socketInode = seed.socketInode
        table = seed.shared.currentTable
        junk = Wire.JunkSource(enabled: seed.configuration.headerJunk)
        resetState()
        rebuildHandlers()
    }

    /// local0 plus the configured loopbacks, no registrations (a freshly started VPP).
    func resetState() {
        interfaces = InterfaceTable()
        for _ in 0..<max(0, config.interfaces) { _ = interfaces.createLoopback(mac: nil, instance: nil) }
        interfaces.pending.removeAll()
        registrations.removeAll()
    }

    // MARK: the loop

    func run() {
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { scratch.deallocate() }
        var fds: [pollfd] = []
        var polled: [Connection] = []
        logger.info("VPP simulator listening", metadata: ["socket": "\(config.socketPath)", "messages": "\(table.count - 1)"])
        while !stopping {
            fds.removeAll(keepingCapacity: true)
            polled.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: shared.wakeRead, events: Int16(POLLIN), revents: 0))
            fds.append(pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0))
            for case let c? in connections {
                fds.append(pollfd(fd: c.fd, events: Int16(POLLIN) | (c.hasOutput ? Int16(POLLOUT) : 0), revents: 0))
                polled.append(c)
            }
            let ready = poll(&fds, nfds_t(fds.count), pollTimeout())
            now = Wire.now()
            if ready < 0, errno != EINTR {
                logger.error("poll failed", metadata: ["errno": "\(errno)"])
            }
            for command in shared.takeCommands() { apply(command) }
            if stopping { break }
            if ready > 0, fds[1].revents & Int16(POLLIN) != 0 { acceptClients() }
            if ready > 0 {
                for (i, c) in polled.enumerated() where !c.isClosed {
                    let events = fds[i + 2].revents
                    guard events & Int16(POLLIN | POLLHUP | POLLERR) != 0 else { continue }
                    let alive = c.readAvailable(into: scratch)
                    while !c.isClosed, let message = c.nextMessage() {
                        process(message, from: c)
                    }
                    if !alive, !c.isClosed {
                        logger.debug("client went away", metadata: ["client": "\(c.name)", "index": "\(c.poolIndex)"])
                        remove(c)
                    }
                }
            }
            runTasks()
            flushInterfaceEvents()
            flushCounts()
            flushOutput()
        }
        shutdown()
    }

    /// Milliseconds until the next delayed message or timer (-1 = none: wait for I/O).
    private func pollTimeout() -> Int32 {
        var due: UInt64?
        for case let c? in connections {
            if let d = c.nextDelayedDue { due = min(due ?? d, d) }
        }
        for t in tasks { due = min(due ?? t.next, t.next) }
        guard let due else { return -1 }
        let t = Wire.now()
        if due <= t { return 0 }
        return Int32(min(1000, (due - t + 999_999) / 1_000_000))
    }

    private func acceptClients() {
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                let e = errno
                if e == EINTR { continue }
                if e != EAGAIN, e != EWOULDBLOCK { logger.warning("accept failed", metadata: ["errno": "\(e)"]) }
                return
            }
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            // pool_get: the lowest free slot (0 is the listener's).
            let index = connections.indices.dropFirst().first { connections[$0] == nil } ?? connections.count
            let c = Connection(fd: fd, poolIndex: UInt32(index))
            if index == connections.count { connections.append(c) } else { connections[index] = c }
            logger.debug("client connected", metadata: ["index": "\(index)"])
        }
    }

    /// Closes a client and frees its registration, running the reapers: its want_*
    /// registrations go (vl_socket_free_registration_index, socket_api.c:160-187; pub_sub
    /// reaper, api_helper_macros.h:676-689; ip_neighbor's, ip_neighbor_watch.c:93), except
    /// l2_macs' and wireguard's, which have no reaper and outlive the client.
    func remove(_ c: Connection) {
        c.close()
        if Int(c.poolIndex) < connections.count, connections[Int(c.poolIndex)] === c {
            connections[Int(c.poolIndex)] = nil
        }
        for key in registrations.keys where RegistrationRule(want: key).isReapedWithClient {
            registrations[key]?.removeAll { $0.clientIndex == c.handle }
        }
    }

    /// The client a message's `client_index` names (vl_api_client_index_to_registration,
    /// api.h:63-69): bit 31 set → socket pool index; anything else (a shared-memory index,
    /// a free slot, the listener) → nil, and VPP's handlers then return without a reply.
    func client(_ clientIndex: UInt32) -> Connection? {
        guard clientIndex & 0x8000_0000 != 0 else { return nil }
        let i = Int(clientIndex & 0x7fff_ffff)
        guard i < connections.count, let c = connections[i], !c.isClosed else { return nil }
        return c
    }

    /// Publishes the received-message counts of the batch so far (at the end of each batch,
    /// and before any reply leaves early, so a client that got the reply sees the count).
    func flushCounts() {
        var batch: [String: Int] = [:]
        for (id, n) in receivedByID.enumerated() where n > 0 {
            batch[table.name(of: UInt16(id)) ?? "?", default: 0] += n
            receivedByID[id] = 0
        }
        shared.addCounts(batch)
    }

    private func flushOutput() {
        for case let c? in connections {
            c.releaseDelayed(now: now)
            guard c.hasOutput else { continue }
            if !c.flush() {
                logger.debug("send failed; closing client", metadata: ["index": "\(c.poolIndex)"])
                remove(c)
            }
        }
    }

    private func shutdown() {
        for case let c? in connections { remove(c) }
        Wire.closeDescriptor(listenFD)
        Listener.remove(path: config.socketPath, inode: socketInode)
        logger.info("VPP simulator stopped", metadata: ["socket": "\(config.socketPath)"])
    }

    // MARK: commands

    private func apply(_ command: LoopCommand) {
        switch command {
        case .stop:
            stopping = true
        case .closeAll:
            for case let c? in connections { remove(c) }
        case .restart(let newTable):
            for case let c? in connections { remove(c) }
            table = newTable
            templates = ReplyTemplates()
            tasks.removeAll()
            resetState()
            rebuildHandlers()
            logger.info("VPP simulator restarted", metadata: ["pid": "\(shared.pid.load(ordering: .relaxed))"])
        case .emit(let name, let registration, let payload):
            emit(name, registration: registration, payload: payload)
        case .setLink(let index, let up):
            _ = interfaces.setLink(index, up: up)
        case .setAdmin(let index, let up):
            _ = interfaces.setAdmin(index, up: up)
        case .setCounters(let index, let rx, let tx):
            _ = interfaces.setCounters(index, rx: rx, tx: tx)
        case .flood(let count, let rate):
            if let rate, rate > 0 {
                tasks.append(PeriodicTask(next: now, interval: UInt64(1e9 / rate), remaining: count, action: .floodEvent))
            } else {
                for _ in 0..<max(0, count) { floodOneEvent() }
            }
        case .toggleLinks(let rate):
            tasks.removeAll { if case .toggleLink = $0.action { return true } else { return false } }
            if rate > 0 {
                tasks.append(PeriodicTask(next: now, interval: UInt64(1e9 / rate), remaining: nil, action: .toggleLink))
            }
        }
    }

    private func runTasks() {
        guard !tasks.isEmpty else { return }
        var i = 0
        while i < tasks.count {
            var t = tasks[i]
            var runs = 0
            // Catch up after a slow iteration, but never more than a batch at once.
            while t.next <= now, runs < 10_000, t.remaining.map({ $0 > 0 }) ?? true {
                switch t.action {
                case .floodEvent: floodOneEvent()
                case .toggleLink: toggleOneLink()
                case .pingFinished(let clientIndex, let requests, let replies):
                    sendPingFinished(to: clientIndex, requestCount: requests, replyCount: replies)
                }
                t.next += t.interval
                t.remaining = t.remaining.map { $0 - 1 }
                runs += 1
            }
            if let r = t.remaining, r <= 0 {
                tasks.remove(at: i)
            } else {
                tasks[i] = t
                i += 1
            }
        }
    }

    /// One link change on the loopbacks in turn (`--event-rate`): a real state change, so the
    /// event flags and dumps agree.
    private func toggleOneLink() {
        let loops = interfaces.all.filter(\.isLoopback)
        guard !loops.isEmpty else { return }
        let iface = loops[toggleCounter % loops.count]
        toggleCounter += 1
        _ = interfaces.setLink(iface.swIfIndex, up: !iface.linkUp)
    }
}
