import VPPClient
import VPPCodec
import VPPJSON

/// One event as the hub hands it out: decoded once, shared by every subscriber.
public final class HubEvent: Sendable {
    /// The hub-wide sequence number, monotonic across the hub's lifetime (and, because it
    /// starts from the clock, across gateway restarts): the SSE `id`.
    public let sequence: UInt64
    /// The event message name (`sw_interface_event`).
    public let name: String
    /// Canonical JSON of the event.
    public let json: [UInt8]
    /// The parsed fields, for per-subscriber filters.
    public let fields: JSONObject
    /// The event as one Server-Sent Events frame (`id:`, `event:`, `data:` lines and the
    /// blank line that ends it). Built once here because every SSE subscriber sends exactly
    /// these bytes: with thousands of subscribers, formatting per subscriber would cost more
    /// than the rest of the fan-out.
    public let sseFrame: [UInt8]
    /// The registrations it was routed to.
    let registrations: [RegistrationKey]

    init(sequence: UInt64, name: String, json: [UInt8], fields: JSONObject, registrations: [RegistrationKey]) {
        self.sequence = sequence
        self.name = name
        self.json = json
        self.fields = fields
        self.registrations = registrations
        var frame: [UInt8] = []
        frame.reserveCapacity(json.count + name.utf8.count + 40)
        frame += "id: \(sequence)\nevent: \(name)\ndata: ".utf8
        frame += json
        frame += [0x0A, 0x0A]
        sseFrame = frame
    }
}

/// Something a subscriber is told besides events.
public enum ControlEvent: Sendable, Equatable {
    /// The connection to VPP dropped; events stop until `vppConnected`.
    case vppDisconnected(reason: String)
    /// VPP is back and every registration was re-sent. Events may have been missed meanwhile:
    /// re-read state (dump) before relying on deltas.
    case vppConnected
    /// This subscriber was too slow: this many events were dropped for it.
    case overflow(dropped: Int)
    /// `Last-Event-ID` is older than the replay ring: events between it and `oldest` are gone;
    /// or (`unknownID`) it is no id this gateway gave out (another gateway's, a restart's), so
    /// nothing can be said about what was missed.
    case gap(lastEventID: UInt64, oldestAvailable: UInt64?, unknownID: Bool = false)
    /// After a reconnect, VPP refused or did not answer the registration this subscriber
    /// depends on (e.g. the plugin is no longer loaded); the stream ends, so that a client
    /// reconnecting gets the failure as an HTTP error instead of a silent stream.
    case registrationFailed(reason: String)
    /// The gateway is shutting down; the stream ends.
    case shutdown
}

/// What a subscriber receives.
public enum HubItem: Sendable {
    case event(HubEvent)
    case control(ControlEvent)
    /// Nothing happened; write something so a dead client is noticed.
    case heartbeat
}

/// Where a subscriber's items go: the gateway's SSE stream, or a test's collector.
///
/// `offer` must not block: the hub serves every subscriber from one place, and one slow
/// client must never slow the others or the VPP socket. It returns false when the item
/// cannot be queued (the subscriber is too slow); the hub counts the drop and reports it with
/// an `overflow` control event once the subscriber has room again.
public protocol EventSink: Sendable {
    /// Queues an item without waiting; false if it could not be queued.
    func offer(_ item: HubItem) -> Bool
    /// True once the subscriber is gone (client disconnected).
    var isClosed: Bool { get }
    /// Ends the subscriber's stream (after a final control event).
    func close()
}

/// One event a subscriber wants, with the arguments of its registration and its filters.
public struct EventSelector: Sendable {
    /// The event message name.
    public var event: String
    /// Fields for the `want_*` message other than the enable flag and `pid` (e.g.
    /// `want_ip_neighbor_events_v2`'s `ip` and `sw_if_index`). Part of the registration's
    /// identity: distinct arguments are distinct registrations with VPP.
    public var registrationArguments: JSONObject
    /// Equality filters on event fields, applied per subscriber (dotted names reach into
    /// nested objects: `neighbor.sw_if_index`).
    public var filters: JSONObject

    /// Creates a selector.
    public init(event: String, registrationArguments: JSONObject = JSONObject(), filters: JSONObject = JSONObject()) {
        self.event = event
        self.registrationArguments = registrationArguments
        self.filters = filters
    }
}

/// The identity of one VPP registration: the `want_*` message and its canonical arguments.
struct RegistrationKey: Hashable, Sendable, CustomStringConvertible {
    let want: String
    let arguments: String
    var description: String { arguments == "{}" ? want : "\(want)\(arguments)" }
}

/// Why a subscription could not be made.
public enum EventHubError: Error, Sendable, CustomStringConvertible {
    /// The schema has no such event, or no `want_*` message that registers for it.
    case unknownEvent(String, detail: String)
    /// A registration argument or filter is not a field, or its value does not fit.
    case invalidArgument(pointer: String, detail: String)
    /// VPP refused or could not take the registration (not connected, retval ≠ 0, timeout).
    case registrationFailed(VPPError)
    /// The subscriber limit is reached.
    case tooManySubscribers(limit: Int)
    /// The hub is shutting down.
    case shuttingDown

    public var description: String {
        switch self {
        case .unknownEvent(let name, let detail): "unknown event \(name): \(detail)"
        case .invalidArgument(let pointer, let detail): "\(pointer): \(detail)"
        case .registrationFailed(let e): "registration failed: \(e)"
        case .tooManySubscribers(let limit): "subscriber limit of \(limit) reached"
        case .shuttingDown: "the gateway is shutting down"
        }
    }
}

/// Tuning of the hub.
public struct EventHubConfiguration: Sendable {
    /// Events kept for `Last-Event-ID` replay.
    public var ringCapacity: Int
    /// How long a registration outlives its last subscriber, so a reconnecting client does
    /// not make VPP tear down and rebuild it.
    public var linger: Duration
    /// Interval of heartbeat items to every subscriber.
    public var heartbeatInterval: Duration
    /// Most subscribers at once (0 = unlimited).
    public var maxSubscribers: Int
    /// Events buffered between the VPP socket reader and the hub, per event type.
    public var ingestBuffer: Int
    /// Time allowed for a `want_*` call.
    public var registrationTimeout: Duration

    /// Defaults suited to a gateway with thousands of SSE clients.
    public init(ringCapacity: Int = 4096, linger: Duration = .seconds(2), heartbeatInterval: Duration = .seconds(15),
                maxSubscribers: Int = 0, ingestBuffer: Int = 65_536, registrationTimeout: Duration = .seconds(5)) {
        self.ringCapacity = ringCapacity
        self.linger = linger
        self.heartbeatInterval = heartbeatInterval
        self.maxSubscribers = maxSubscribers
        self.ingestBuffer = ingestBuffer
        self.registrationTimeout = registrationTimeout
    }
}

/// Counters for `/metrics`.
public struct EventHubStatistics: Sendable {
    /// VPP registrations held now.
    public var registrations: Int
    /// Subscribers now.
    public var subscribers: Int
    /// Events received from VPP.
    public var eventsReceived: UInt64
    /// Events handed to subscribers (one per subscriber).
    public var eventsDelivered: UInt64
    /// Events dropped for slow subscribers.
    public var eventsDropped: UInt64
}
