import Foundation
import Logging
import VPPClient
import VPPCodec
import VPPJSON
import VPPSchema

/// Fans VPP's events out to any number of subscribers over exactly one VPP registration per
/// (`want_*` message, arguments).
///
/// VPP allows one `want_interface_events` registration per client (a second is -31,
/// api_helper_macros.h `pub_sub_handler`), and forgets every registration when it restarts.
/// The hub therefore owns registrations: the first subscriber enables one, later subscribers
/// share it, the last one's departure disables it after a short linger, and after a
/// reconnect every live registration is sent again. Each registration gets its own `pid`
/// (stable across gateway restarts, see `RegistrationPlan.stablePID`), which VPP echoes in
/// most events (src/vnet/interface_api.c), so events are routed to the registration that
/// asked for them even when one VPP client holds several (ip_neighbor watchers are keyed by
/// client and pid). Where VPP keeps registrations per client instead (wireguard, l2_macs),
/// arguments that name event fields filter, and a disable re-asserts the siblings.
public actor EventHub {
    private let client: VPPClient
    private let configuration: EventHubConfiguration
    private let logger: Logger
    private var registrations: [RegistrationKey: Registration] = [:]
    private var subscribers: [Int: Subscriber] = [:]
    private var ingestTasks: [String: Task<Void, Never>] = [:]
    private var ring: ReplayRing
    private var nextSequence: UInt64
    private var nextSubscriberID = 1
    private var shuttingDown = false
    private var backgroundTasks: [Task<Void, Never>] = []
    private var stats = EventHubStatistics(registrations: 0, subscribers: 0, eventsReceived: 0, eventsDelivered: 0, eventsDropped: 0)

    final class Registration {
        enum State { case registering(Task<Void, any Error>), active, inactive }
        let key: RegistrationKey
        let plan: RegistrationPlan
        var subscribers: Set<Int> = []
        var state: State = .inactive
        var lingerGeneration = 0
        init(key: RegistrationKey, plan: RegistrationPlan) {
            self.key = key
            self.plan = plan
        }
    }

    /// A reference, so the fan-out loop updates drop counts in place instead of copying
    /// each subscriber out of the dictionary and back.
    final class Subscriber {
        let sink: any EventSink
        let selections: [(key: RegistrationKey, event: String, filter: EventFilter)]
        var dropped = 0

        init(sink: any EventSink, selections: [(key: RegistrationKey, event: String, filter: EventFilter)]) {
            self.sink = sink
            self.selections = selections
        }

        /// Whether this subscriber selected `event` through registration `key` and its
        /// filter matches `fields`.
        func wants(_ key: RegistrationKey, _ event: String, _ fields: JSONObject) -> Bool {
            selections.contains { $0.key == key && $0.event == event && $0.filter.matches(fields) }
        }
    }

    /// A hub over `client`. Call `start()` to follow the connection.
    public init(client: VPPClient, configuration: EventHubConfiguration = EventHubConfiguration(), logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        ring = ReplayRing(capacity: configuration.ringCapacity)
        // Sequence numbers start at the clock in microseconds so that ids stay monotonic
        // across gateway restarts and an old Last-Event-ID is recognised as a gap.
        nextSequence = UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000))
    }

    /// Starts following connection changes and sending heartbeats.
    public func start() {
        let states = client.stateChanges()
        backgroundTasks.append(Task { [weak self] in
            for await state in states {
                await self?.connectionChanged(state)
            }
        })
        let interval = configuration.heartbeatInterval
        backgroundTasks.append(Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                await self?.heartbeat()
            }
        })
    }

    /// Counters for `/metrics`.
    public func statistics() -> EventHubStatistics {
        var s = stats
        s.registrations = registrations.values.count { !$0.plan.isPassive }  // passive ones hold nothing in VPP
        s.subscribers = subscribers.count
        return s
    }

    /// Subscribes `sink` to the selected events, registering with VPP where no registration
    /// with those arguments exists yet. Replays events after `lastEventID` from the ring (or
    /// reports a gap). Returns the subscriber id for `unsubscribe`.
    ///
    /// While VPP is away, a subscription made with `offlineCodec` (the schema known without
    /// VPP) is accepted: the stream opens with `vpp-disconnected`, and the registration is
    /// made when VPP connects (then `vpp-connected`). A browser's EventSource gives up for
    /// good on any answer but 200, so refusing would lose a dashboard opened during a VPP
    /// restart.
    public func subscribe(_ selectors: [EventSelector], lastEventID: UInt64? = nil,
                          sink: any EventSink, offlineCodec: Codec? = nil) async throws(EventHubError) -> Int {
        guard !shuttingDown else { throw .shuttingDown }
        if configuration.maxSubscribers > 0, subscribers.count >= configuration.maxSubscribers {
            throw .tooManySubscribers(limit: configuration.maxSubscribers)
        }
        let session = client.session
        guard let codec = session?.codec ?? offlineCodec else { throw .registrationFailed(.notConnected) }
        var selections: [(key: RegistrationKey, event: String, filter: EventFilter)] = []
        var plans: [RegistrationKey: RegistrationPlan] = [:]
        for selector in selectors {
            let plan = try RegistrationPlan(selector, codec: codec)
            let shared = plans[plan.key] ?? registrations[plan.key]?.plan ?? plan
            plans[plan.key] = shared
            var filters = plan.impliedFilters
            for m in selector.filters { filters.append(m.key, m.value) }
            // The shared plan's key: equal keys then share their strings, so the fan-out's
            // comparison takes the identical-storage fast path.
            selections.append((shared.key, selector.event, try plan.filter(filters)))
        }
        let id = nextSubscriberID
        nextSubscriberID += 1
        // Reserve the registrations before awaiting, so concurrent subscribers share them.
        for (key, plan) in plans {
            let r = registrations[key] ?? Registration(key: key, plan: plan)
            registrations[key] = r
            r.subscribers.insert(id)
            r.lingerGeneration += 1
        }
        if session != nil {
            do throws(EventHubError) {
                for key in plans.keys {
                    guard let r = registrations[key] else { continue }
                    try await ensureRegistered(r)
                }
            } catch {
                for key in plans.keys { release(subscriber: id, from: key) }
                throw error
            }
        } else {
            // Registered by `connectionChanged(.connected)`: the session is published before
            // that state is, so it has not been handled yet.
            for event in Set(plans.values.flatMap(\.events)) { startIngest(event) }
        }
        guard !sink.isClosed else {
            for key in plans.keys { release(subscriber: id, from: key) }
            return id
        }
        let subscriber = Subscriber(sink: sink, selections: selections)
        if let lastEventID { replay(after: lastEventID, to: subscriber) }
        subscribers[id] = subscriber
        if session == nil {
            _ = sink.offer(.control(.vppDisconnected(reason: "VPP is not connected; events follow when it is")))
        }
        return id
    }

    /// Removes a subscriber (its client went away). Registrations left without subscribers
    /// are disabled after the linger time.
    public func unsubscribe(_ id: Int) {
        guard let s = subscribers.removeValue(forKey: id) else { return }
        for key in Set(s.selections.map(\.key)) { release(subscriber: id, from: key) }
    }

    /// Ends every stream with a `shutdown` event and disables every registration.
    public func shutdown() async {
        shuttingDown = true
        for (_, s) in subscribers {
            _ = s.sink.offer(.control(.shutdown))
            s.sink.close()
        }
        subscribers.removeAll()
        for r in registrations.values where isActive(r) {
            await send(r, enable: false)
        }
        registrations.removeAll()
        for t in ingestTasks.values { t.cancel() }
        ingestTasks.removeAll()
        for t in backgroundTasks { t.cancel() }
        backgroundTasks.removeAll()
    }

    // MARK: - Registrations

    private func isActive(_ r: Registration) -> Bool {
        if case .active = r.state { return true }
        return false
    }

    private func ensureRegistered(_ r: Registration) async throws(EventHubError) {
        switch r.state {
        case .active:
            return
        case .registering(let task):
            do { try await task.value } catch { throw Self.hubError(error) }
        case .inactive:
            for event in r.plan.events { startIngest(event) }
            let task = Task<Void, any Error> { try await self.register(r) }
            r.state = .registering(task)
            do {
                try await task.value
            } catch {
                if case .registering = r.state { r.state = .inactive }
                throw Self.hubError(error)
            }
        }
    }

    private static func hubError(_ error: any Error) -> EventHubError {
        if let e = error as? EventHubError { return e }
        if let e = error as? VPPError { return .registrationFailed(e) }
        return .registrationFailed(.cancelled)
    }

    /// Sends the enabling `want_*` and marks the registration active (a passive plan only
    /// becomes active: its events follow other callers' requests).
    private func register(_ r: Registration) async throws {
        if r.plan.isPassive {
            r.state = .active
            return
        }
        let reply: DecodedMessage
        do {
            reply = try await client.call(r.plan.want, .object(r.plan.fields(enable: true)),
                                          timeout: configuration.registrationTimeout)
        } catch {
            r.state = .inactive
            throw error
        }
        let retval = Self.retval(reply)
        // -31 INVALID_REGISTRATION on enable means VPP already has it (e.g. an earlier call
        // timed out after VPP processed it): the registration exists, which is what we want.
        guard retval == 0 || retval == -31 else {
            r.state = .inactive
            throw EventHubError.registrationFailed(.retval(retval, r.plan.want, reply))
        }
        r.state = .active
        logger.info("registered with VPP", metadata: ["registration": "\(r.key)", "pid": "\(r.plan.pid)"])
    }

    private func send(_ r: Registration, enable: Bool) async {
        guard !r.plan.isPassive else { return }
        do {
            let reply = try await client.call(r.plan.want, .object(r.plan.fields(enable: enable)),
                                              timeout: configuration.registrationTimeout)
            let retval = Self.retval(reply)
            if retval != 0 { logger.debug("want_* answered \(retval)", metadata: ["registration": "\(r.key)"]) }
        } catch {
            logger.debug("want_* call failed: \(error)", metadata: ["registration": "\(r.key)"])
        }
    }

    static func retval(_ reply: DecodedMessage) -> Int32 {
        reply.retval ?? 0
    }

    private func release(subscriber id: Int, from key: RegistrationKey) {
        guard let r = registrations[key] else { return }
        r.subscribers.remove(id)
        guard r.subscribers.isEmpty else { return }
        r.lingerGeneration += 1
        let generation = r.lingerGeneration
        let linger = configuration.linger
        Task { [weak self] in
            try? await Task.sleep(for: linger)
            await self?.lingerExpired(key, generation: generation)
        }
    }

    private func lingerExpired(_ key: RegistrationKey, generation: Int) async {
        guard let r = registrations[key], r.subscribers.isEmpty, r.lingerGeneration == generation else { return }
        registrations.removeValue(forKey: key)
        let needed = Set(registrations.values.flatMap(\.plan.events))
        for event in r.plan.events where !needed.contains(event) {
            ingestTasks.removeValue(forKey: event)?.cancel()
        }
        if isActive(r) {
            logger.info("disabling registration without subscribers", metadata: ["registration": "\(key)"])
            r.state = .inactive
            await send(r, enable: false)
            await reassertSiblings(of: r)
        }
    }

    /// Re-sends the enable of every other live registration of the same `want_*` message.
    /// VPP keeps some registrations per client rather than per argument set: disabling
    /// `want_wireguard_peer_events` for all peers drops the client from every peer, the one
    /// another registration asked for included (wireguard_api.c:375-428). Enabling again is
    /// harmless where registrations are independent (ip_neighbor_watch ignores duplicates,
    /// ip_neighbor_watch.c:103-127).
    private func reassertSiblings(of r: Registration) async {
        for s in registrations.values where s !== r && s.plan.want == r.plan.want && isActive(s) {
            await send(s, enable: true)
        }
    }

    // MARK: - Connection changes

    private func connectionChanged(_ state: VPPConnectionState) async {
        switch state {
        case .disconnected(let reason):
            // Announced once per outage: a failed reconnect attempt also reports
            // `.disconnected`, but only registrations that were live lose anything.
            var told: Set<Int> = []
            for r in registrations.values {
                guard isActive(r) else { continue }
                r.state = .inactive
                for id in r.subscribers where told.insert(id).inserted {
                    _ = subscribers[id]?.sink.offer(.control(.vppDisconnected(reason: "\(reason)")))
                }
            }
        case .connected:
            // Each subscriber hears `vpp-connected` once, after all its registrations are
            // back (a multiplexed stream spans several).
            var reconnected: Set<Int> = []
            defer {
                for id in reconnected.sorted() { _ = subscribers[id]?.sink.offer(.control(.vppConnected)) }
            }
            for r in registrations.values where !r.subscribers.isEmpty {
                guard case .inactive = r.state else { continue }
                do throws(EventHubError) {
                    try await ensureRegistered(r)
                    reconnected.formUnion(r.subscribers)
                } catch {
                    if case .registrationFailed(let vpp) = error, vpp.isConnectionLoss {
                        // VPP went away again before answering: the next `.connected` retries.
                        logger.debug("re-registration interrupted: \(error)", metadata: ["registration": "\(r.key)"])
                        continue
                    }
                    logger.warning("re-registration failed: \(error)", metadata: ["registration": "\(r.key)"])
                    endStreams(of: r, telling: .registrationFailed(reason: "\(error)"))
                }
            }
        default:
            break
        }
    }

    /// Tells every subscriber of `r` why its stream ends, closes the streams and lets the
    /// registration go (it lingers out like any registration left without subscribers).
    private func endStreams(of r: Registration, telling control: ControlEvent) {
        for id in r.subscribers {
            guard let s = subscribers[id] else { continue }
            _ = s.sink.offer(.control(control))
            s.sink.close()
        }
        for id in Array(r.subscribers) { unsubscribe(id) }
    }

    // MARK: - Events

    private func startIngest(_ event: String) {
        guard ingestTasks[event] == nil else { return }
        let subscription = client.events(named: event, bufferSize: configuration.ingestBuffer)
        ingestTasks[event] = Task { [weak self] in
            for await item in subscription {
                await self?.ingest(event, item)
            }
        }
    }

    private func ingest(_ event: String, _ item: VPPEvent) {
        switch item {
        case .overflow(let dropped):
            logger.warning("event hub fell behind VPP; events dropped", metadata: ["event": "\(event)", "dropped": "\(dropped)"])
            for r in registrations.values where r.plan.events.contains(event) {
                for id in r.subscribers { _ = subscribers[id]?.sink.offer(.control(.overflow(dropped: dropped))) }
            }
        case .message(let decoded):
            publish(event, decoded)
        }
    }

    private func publish(_ event: String, _ decoded: DecodedMessage) {
        guard case .object(let fields)? = try? JSONParser.parse(decoded.json) else { return }
        let candidates = registrations.values.filter { isActive($0) && $0.plan.events.contains(event) }
        // ip6_nd and dhcp6 store ntohl(pid) and send it back unswapped
        // (ip6_nd_api.c:429,498; dhcp_api.c:453,728): either order routes the event.
        let pid = fields["pid"]?.numberValue?.uint64Value.flatMap { UInt32(exactly: $0) }
        var targets = candidates.filter { pid == $0.plan.pid || pid == $0.plan.pid.byteSwapped }
        if targets.isEmpty { targets = candidates }
        stats.eventsReceived += 1
        let e = HubEvent(sequence: nextSequence, name: event, json: decoded.json, fields: fields,
                         registrations: targets.map(\.key))
        nextSequence += 1
        ring.append(e)
        // A subscriber of several target registrations gets the event once; with one
        // target (the common case) there is nothing to de-duplicate.
        var done: Set<Int> = []
        var gone: [Int] = []
        let item = HubItem.event(e)
        for r in targets {
            for id in r.subscribers {
                if targets.count > 1 && !done.insert(id).inserted { continue }
                guard let s = subscribers[id], s.wants(r.key, event, fields) else { continue }
                if s.sink.isClosed { gone.append(id); continue }
                deliver(item, to: s)
            }
        }
        for id in gone { unsubscribe(id) }
    }

    /// Offers an item, first reporting earlier drops once there is room.
    private func deliver(_ item: HubItem, to s: Subscriber) {
        if s.dropped > 0 {
            guard s.sink.offer(.control(.overflow(dropped: s.dropped))) else {
                s.dropped += 1
                stats.eventsDropped += 1
                return
            }
            s.dropped = 0
        }
        if s.sink.offer(item) {
            stats.eventsDelivered += 1
        } else {
            s.dropped += 1
            stats.eventsDropped += 1
        }
    }

    private func replay(after lastEventID: UInt64, to s: Subscriber) {
        let oldest = ring.oldest
        let unknown = lastEventID >= nextSequence   // not an id this hub gave out
        let tooOld = oldest.map { $0 > 0 && lastEventID < $0 - 1 } ?? false
        if unknown || tooOld {
            _ = s.sink.offer(.control(.gap(lastEventID: lastEventID, oldestAvailable: oldest, unknownID: unknown)))
        }
        for e in ring.after(lastEventID) {
            let wanted = s.selections.contains { sel in
                e.registrations.contains(sel.key) && sel.event == e.name && sel.filter.matches(e.fields)
            }
            if wanted { deliver(.event(e), to: s) }
        }
    }

    /// Keeps idle streams alive, and tells a subscriber that lost events as soon as it has
    /// room again: waiting for the next event could leave it unaware for a long time.
    private func heartbeat() {
        var gone: [Int] = []
        for (id, s) in subscribers {
            if s.sink.isClosed {
                gone.append(id)
            } else if s.dropped > 0, s.sink.offer(.control(.overflow(dropped: s.dropped))) {
                s.dropped = 0
            } else {
                _ = s.sink.offer(.heartbeat)
            }
        }
        for id in gone { unsubscribe(id) }
    }
}
