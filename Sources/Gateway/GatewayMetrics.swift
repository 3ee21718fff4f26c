import Prometheus
import Synchronization
import VPPClient
import VPPEvents

/// The gateway's Prometheus metrics, on swift-prometheus's registry.
///
/// Request counters and histograms are updated as requests finish; connection and event-hub
/// figures are read when `/metrics` is scraped (gauges, and counters advanced by the delta
/// since the last scrape), so the hot paths pay for nothing they do not need.
final class GatewayMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let requestBuckets: [Duration] = [.microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
                                              .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                              .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                              .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)]
    private let vppCalls: Counter
    private let vppRoundTrip: DurationHistogram
    private let connected: Gauge
    private let reconnects: Counter
    private let registrations: Gauge
    private let subscribers: Gauge
    private let eventsReceived: Counter
    private let eventsDelivered: Counter
    private let eventsDropped: Counter
    private let inFlight: Gauge
    private let last = Mutex<(received: UInt64, delivered: UInt64, dropped: UInt64)>((0, 0, 0))
    /// Per-label metric handles, made once: asking the registry on every request costs a
    /// lock plus name and help checks on the hot path.
    private let requestHandles = Mutex<[String: (Counter, DurationHistogram)]>([:])

    init() {
        vppCalls = registry.makeCounter(descriptor: Self.name("vpp_calls", "total", "Calls and dumps completed through VPP."))
        vppRoundTrip = registry.makeDurationHistogram(
            descriptor: Self.name("vpp_round_trip", "seconds", "Time from sending a request to VPP to its reply (dumps: to the last details)."),
            buckets: [.microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
                      .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                      .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5)])
        connected = registry.makeGauge(descriptor: Self.name("vpp_connected", "", "1 when connected to VPP's API socket."))
        reconnects = registry.makeCounter(descriptor: Self.name("vpp_reconnects", "total", "Connections to VPP established after the first."))
        registrations = registry.makeGauge(descriptor: Self.name("event_registrations", "", "want_* registrations held with VPP."))
        subscribers = registry.makeGauge(descriptor: Self.name("sse_subscribers", "", "Server-Sent Events subscribers connected."))
        eventsReceived = registry.makeCounter(descriptor: Self.name("events_received", "total", "Events received from VPP."))
        eventsDelivered = registry.makeCounter(descriptor: Self.name("events_delivered", "total", "Events queued to subscribers."))
        eventsDropped = registry.makeCounter(descriptor: Self.name("events_dropped", "total", "Events dropped for slow subscribers."))
        inFlight = registry.makeGauge(descriptor: Self.name("vpp_calls_in_flight", "", "Calls waiting for VPP's answer."))
    }

    /// `vpp_gateway_<name>_<unit>` with its help text.
    static func name(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "vpp_gateway", metricName: name, unitName: unit, helpText: help)
    }

    /// Counts one finished HTTP request.
    func observeRequest(route: String, method: String, status: Int, duration: Duration) {
        let key = "\(route) \(method) \(status)"
        let (counter, histogram) = requestHandles.withLock { handles in
            if let h = handles[key] { return h }
            let labels = [("route", route), ("method", method), ("status", String(status))]
            let h = (registry.makeCounter(descriptor: Self.name("http_requests", "total", "HTTP requests by route, method and status."),
                                          labels: labels),
                     registry.makeDurationHistogram(descriptor: Self.name("http_request_duration", "seconds",
                                                                          "HTTP request duration (to the response head for streams)."),
                                                    labels: [("route", route)], buckets: requestBuckets))
            handles[key] = h
            return h
        }
        counter.increment()
        histogram.recordNanoseconds(duration.nanoseconds)
    }

    /// Counts one completed VPP call and its round-trip time.
    func observeVPPCall(_ duration: Duration) {
        vppCalls.increment()
        vppRoundTrip.recordNanoseconds(duration.nanoseconds)
    }

    /// Follows the client's connection for the connected gauge and reconnect counter.
    func watch(client: VPPClient) {
        let states = client.stateChanges()
        let connected = self.connected, reconnects = self.reconnects
        Task {
            var seen = 0
            for await state in states {
                switch state {
                case .connected:
                    connected.set(1.0)
                    seen += 1
                    if seen > 1 { reconnects.increment() }
                case .disconnected: connected.set(0.0)
                default: break
                }
            }
        }
    }

    /// Reads the figures that are sampled at scrape time.
    func update(hub: EventHubStatistics, client: VPPClient) {
        registrations.set(Double(hub.registrations))
        subscribers.set(Double(hub.subscribers))
        inFlight.set(Double(client.inFlightCount))
        connected.set(client.session == nil ? 0.0 : 1.0)
        let (r, d, x) = last.withLock { l in
            defer { l = (hub.eventsReceived, hub.eventsDelivered, hub.eventsDropped) }
            return (hub.eventsReceived &- l.received, hub.eventsDelivered &- l.delivered, hub.eventsDropped &- l.dropped)
        }
        eventsReceived.increment(by: Int64(r))
        eventsDelivered.increment(by: Int64(d))
        eventsDropped.increment(by: Int64(x))
    }

    /// The Prometheus text exposition.
    func render() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}

extension Duration {
    /// The duration in whole nanoseconds.
    var nanoseconds: Int64 {
        let (s, a) = components
        return s * 1_000_000_000 + a / 1_000_000_000
    }
}
