import Foundation
import VPPSchema

/// How the client connects, what it loads, and every limit it enforces.
///
/// All defaults are chosen for a gateway in front of a production VPP: generous timeouts
/// (VPP's main thread may be busy with a long CLI or a big dump), bounded buffers
/// everywhere (VPP itself buffers without limit for a slow reader, notes §1.8), and quick
/// but capped reconnects.
public struct VPPClientConfiguration: Sendable {
    /// The API socket (`socksvr { default }` → `/run/vpp/api.sock`, socket_api.h:15).
    public var socketPath: String
    /// The name VPP records for this client (`sockclnt_create.name`, at most 63 bytes).
    public var clientName: String
    /// Folders or files of `.api.json` to merge under the live schema.
    public var apiDirectories: [String]
    /// An already-loaded schema to merge under the live one (saves loading twice when the
    /// caller has one); merged after `apiDirectories`.
    public var localSchema: Schema?
    /// Ask VPP for its own schema with `get_api_json` (VPP ≥ 24.06) on every connect. When
    /// false, only `apiDirectories`/`localSchema` are used, and CRC differences against the
    /// live message table are reported and refused.
    public var fetchLiveSchema: Bool
    /// Default time a call waits for its reply; also the idle limit between two messages
    /// of a dump or get/stream.
    public var callTimeout: Duration
    /// Limit for the whole handshake of one attempt (connect, `sockclnt_create`,
    /// `get_api_json` – several MB –, first `control_ping`).
    public var handshakeTimeout: Duration
    /// How many received-but-unconsumed details one dump may hold before it is failed with
    /// `VPPError.streamOverflow`.
    public var maxBufferedDetails: Int
    /// Default per-subscriber event buffer (events beyond it are dropped and counted).
    public var eventBufferSize: Int
    /// Largest message accepted from VPP; larger ones are skipped (and the call waiting for
    /// it fails). `data_len` is a u32, so VPP could announce up to 4 GiB.
    public var maxMessageSize: Int
    /// Largest amount of unsent outgoing bytes before calls are refused with
    /// `VPPError.overloaded` (VPP not reading its socket).
    public var maxOutputBuffer: Int
    /// How often timeouts and liveness are checked.
    public var sweepInterval: Duration
    /// Liveness rules.
    public var liveness: LivenessPolicy
    /// Reconnect backoff.
    public var reconnect: ReconnectPolicy
    /// How long `shutdown()` waits for `sockclnt_delete_reply`.
    public var shutdownTimeout: Duration

    /// A configuration with the defaults described on each property.
    public init(socketPath: String = "/run/vpp/api.sock",
                clientName: String = "vpp-gateway",
                apiDirectories: [String] = [],
                localSchema: Schema? = nil,
                fetchLiveSchema: Bool = true,
                callTimeout: Duration = .seconds(10),
                handshakeTimeout: Duration = .seconds(30),
                maxBufferedDetails: Int = 100_000,
                eventBufferSize: Int = 4096,
                maxMessageSize: Int = 512 << 20,
                maxOutputBuffer: Int = 64 << 20,
                sweepInterval: Duration = .milliseconds(50),
                liveness: LivenessPolicy = LivenessPolicy(),
                reconnect: ReconnectPolicy = ReconnectPolicy(),
                shutdownTimeout: Duration = .seconds(1)) {
        self.socketPath = socketPath
        self.clientName = clientName
        self.apiDirectories = apiDirectories
        self.localSchema = localSchema
        self.fetchLiveSchema = fetchLiveSchema
        self.callTimeout = callTimeout
        self.handshakeTimeout = handshakeTimeout
        self.maxBufferedDetails = maxBufferedDetails
        self.eventBufferSize = eventBufferSize
        self.maxMessageSize = maxMessageSize
        self.maxOutputBuffer = maxOutputBuffer
        self.sweepInterval = sweepInterval
        self.liveness = liveness
        self.reconnect = reconnect
        self.shutdownTimeout = shutdownTimeout
    }
}

/// When the client pings VPP and when it gives up on a silent VPP.
///
/// VPP handles all API messages on its main thread, one at a time; a long handler (a big
/// CLI, a huge dump) delays every reply. GoVPP's rule (ping each second, dead after three
/// 250 ms timeouts, govpp core/connection.go:46-48) misfires then. Here a ping is sent
/// only after `idleBeforePing` without any received byte, and the connection is declared
/// dead only when no byte at all arrives for `deadAfterSilence` while that ping is
/// outstanding. A ping left unanswered while VPP goes on answering other messages was lost
/// (VPP drops client messages while a CLI `ping` runs in its API process) and is replaced by
/// a new one after `idleBeforePing`. Socket EOF or errors are detected immediately regardless.
public struct LivenessPolicy: Sendable {
    /// Silence (no bytes received) after which a `control_ping` is sent.
    public var idleBeforePing: Duration
    /// Silence with a ping outstanding after which the connection is closed.
    public var deadAfterSilence: Duration

    /// Defaults: ping after 5 s of silence, dead after 60 s of silence.
    public init(idleBeforePing: Duration = .seconds(5), deadAfterSilence: Duration = .seconds(60)) {
        self.idleBeforePing = idleBeforePing
        self.deadAfterSilence = deadAfterSilence
    }
}

/// Capped exponential backoff with jitter between reconnect attempts.
///
/// Jitter keeps a fleet of gateways from reconnecting in lock-step after a VPP restart.
public struct ReconnectPolicy: Sendable {
    /// Delay before the first retry.
    public var initialDelay: Duration
    /// Upper bound of the delay.
    public var maxDelay: Duration
    /// Growth factor per failed attempt.
    public var multiplier: Double
    /// Relative jitter: the delay is scaled by a random factor in `1 ± jitter`.
    public var jitter: Double

    /// Defaults: 100 ms, doubling, capped at 5 s, ±20 %.
    public init(initialDelay: Duration = .milliseconds(100), maxDelay: Duration = .seconds(5),
                multiplier: Double = 2, jitter: Double = 0.2) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.multiplier = multiplier
        self.jitter = jitter
    }

    /// The delay before retry number `attempt` (0-based), jittered with `random` in 0..<1.
    public func delay(attempt: Int, random: Double = Double.random(in: 0..<1)) -> Duration {
        let base = initialDelay.seconds * pow(max(multiplier, 1), Double(min(attempt, 62)))
        let capped = min(base, maxDelay.seconds)
        let factor = 1 + jitter * (2 * random - 1)
        return .nanoseconds(Int64(max(0, capped * factor) * 1e9))
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }

    /// The duration in nanoseconds (saturating).
    var nanoseconds: UInt64 {
        let s = seconds
        if s <= 0 { return 0 }
        if s >= 1.8e10 { return UInt64.max / 2 }
        return UInt64(s * 1e9)
    }
}
