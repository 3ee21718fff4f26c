import HTTPServer
import VPPClient
import VPPEvents

/// Everything `vpp-gateway serve` can be told, grouped by the layer it configures.
public struct GatewayConfiguration: Sendable {
    /// Listening address, limits and TLS.
    public var http: HTTPServerConfiguration
    /// The VPP socket, schema folders, timeouts and reconnect policy.
    public var client: VPPClientConfiguration
    /// Replay ring, linger, heartbeats and subscriber limits of the event hub.
    public var events: EventHubConfiguration
    /// Bytes an SSE subscriber may have queued before it is "too slow" (overflow).
    public var sseQueueBytes: Int
    /// Bytes of a streamed dump held before the producer waits for the client.
    public var dumpQueueBytes: Int
    /// The public base URL written into the OpenAPI document's `servers`.
    public var publicURL: String?
    /// Bearer tokens and the message policy.
    public var access: AccessConfiguration
    /// Longest time a non-streaming request may take before it is answered 504 (nil: bounded
    /// only by the VPP call timeout).
    public var requestTimeout: Duration?
    /// Most SSE streams one client address may hold (0 = unlimited); the total is
    /// `events.maxSubscribers`.
    public var sseMaxPerClient: Int

    /// A configuration with the documented defaults.
    public init(http: HTTPServerConfiguration = HTTPServerConfiguration(),
                client: VPPClientConfiguration = VPPClientConfiguration(),
                events: EventHubConfiguration = EventHubConfiguration(),
                sseQueueBytes: Int = 256 * 1024, dumpQueueBytes: Int = 256 * 1024, publicURL: String? = nil,
                access: AccessConfiguration = AccessConfiguration(), requestTimeout: Duration? = nil,
                sseMaxPerClient: Int = 0) {
        self.http = http
        self.client = client
        self.events = events
        self.sseQueueBytes = sseQueueBytes
        self.dumpQueueBytes = dumpQueueBytes
        self.publicURL = publicURL
        self.access = access
        self.requestTimeout = requestTimeout
        self.sseMaxPerClient = sseMaxPerClient
    }
}
