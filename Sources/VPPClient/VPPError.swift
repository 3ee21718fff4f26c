import VPPCodec

/// Why a connection to VPP ended (or never started).
///
/// Carried by `VPPError.disconnected` for calls that were in flight and by
/// `VPPConnectionState.disconnected` for observers, so operators see one explanation.
public enum DisconnectReason: Sendable, Equatable, CustomStringConvertible {
    /// VPP closed the socket (restart, crash, or `sockclnt_delete` answered).
    case endOfFile
    /// `read()` or `send()` failed with this `errno` description.
    case socketError(String)
    /// Nothing at all arrived for this long while a liveness ping was outstanding.
    case unresponsive(silence: Duration)
    /// `control_ping_reply.vpe_pid` changed: another VPP process answers on the socket.
    case vppRestarted(oldPID: UInt32, newPID: UInt32)
    /// VPP sent something the client cannot frame (e.g. a message above the size limit
    /// whose bytes could not be skipped).
    case protocolError(String)
    /// The socket could not be opened or the handshake failed.
    case connectFailed(String)
    /// `shutdown()` was called.
    case shutdown

    /// A sentence for logs and error bodies.
    public var description: String {
        switch self {
        case .endOfFile: "VPP closed the API socket"
        case .socketError(let s): "socket error: \(s)"
        case .unresponsive(let d): "VPP sent nothing for \(d) while a control_ping was outstanding"
        case .vppRestarted(let a, let b): "VPP restarted (vpe_pid \(a) -> \(b))"
        case .protocolError(let s): "protocol error: \(s)"
        case .connectFailed(let s): "connect failed: \(s)"
        case .shutdown: "client shut down"
        }
    }
}

/// Why a message cannot be sent to the connected VPP.
public enum UnavailableReason: Sendable, Equatable, CustomStringConvertible {
    /// No loaded `.api.json` (live or from `--api-dir`) defines the message.
    case notInSchema
    /// The schema defines it, but the connected VPP's message table has no message of that
    /// name (plugin not loaded, or a different VPP version).
    case missingInVPP(schemaCRC: String)
    /// VPP has a message of that name with another CRC: its layout differs from the schema,
    /// so encoding by the schema would send bytes VPP misreads.
    case crcMismatch(schemaCRC: String, vppCRC: String)
    /// The codec cannot lay the message out (reported by `Codec.unsupported`).
    case unsupported(String)
    /// The request itself is fine, but its reply or details message (named) is
    /// unavailable for the given reason, so VPP's answer could not be read.
    indirect case answerUnavailable(String, UnavailableReason)

    /// A sentence for error bodies and CLI messages.
    public var description: String {
        switch self {
        case .notInSchema: "no loaded API definition has this message"
        case .missingInVPP(let c): "the connected VPP does not offer it (schema CRC \(c))"
        case .crcMismatch(let s, let v): "CRC mismatch: schema has \(s), the connected VPP has \(v)"
        case .unsupported(let why): "the codec cannot encode it: \(why)"
        case .answerUnavailable(let m, let why): "its answer \(m) is unavailable: \(why)"
        }
    }
}

/// Everything that can go wrong between a caller and VPP.
///
/// Each case maps to one HTTP status in the gateway (noted per case) so the mapping stays
/// mechanical; `description` is a sentence suitable for an error body or a CLI message.
public enum VPPError: Error, Sendable, CustomStringConvertible {
    /// No connection to VPP right now (before the first connect, or between reconnect
    /// attempts). Calls fail fast instead of queueing. HTTP 503.
    case notConnected
    /// The connection dropped while the call was in flight; the call's effect on VPP is
    /// unknown. HTTP 503.
    case disconnected(DisconnectReason)
    /// No reply within the timeout. VPP never answers an unknown message id, a truncated
    /// message, or a bad client index (api_shared.c:519-570), so this is the only signal.
    /// HTTP 504.
    case timeout(message: String, after: Duration)
    /// The message is not offered by the connected VPP or not known at all. HTTP 501/404.
    case messageUnavailable(String, UnavailableReason)
    /// The caller's fields could not be encoded (wrong type, out of range, …). HTTP 400.
    case invalidRequest(message: String, CodecError)
    /// The message exists but is used with the wrong method (e.g. `call` on a dump).
    case wrongPattern(message: String, expected: String)
    /// VPP answered with a non-zero `retval` (only thrown by the `…Checked` conveniences and
    /// by get/stream iteration; plain `call` returns such replies). HTTP 422.
    case retval(Int32, String, DecodedMessage)
    /// A reply or details message could not be decoded with the schema. HTTP 502.
    case malformedReply(message: String, CodecError)
    /// A dump's consumer fell more than `limit` details behind; the dump was abandoned so
    /// that the socket reader never stalls or buffers without bound.
    case streamOverflow(message: String, limit: Int)
    /// The outgoing buffer is over its limit (VPP is not reading its socket). HTTP 503.
    case overloaded(queuedBytes: Int)
    /// The calling task was cancelled.
    case cancelled
    /// The client was shut down.
    case shutdown
    /// One connection attempt failed.
    case connectFailed(String)

    /// True when the call failed because the connection to VPP is not there (not connected,
    /// lost mid-call, a failed attempt): what a reconnect cures, unlike VPP's own answers.
    public var isConnectionLoss: Bool {
        switch self {
        case .notConnected, .disconnected, .connectFailed: true
        default: false
        }
    }

    /// VPP's error name for a `.retval` error (`INVALID_SW_IF_INDEX`), nil otherwise.
    public var errorCode: VPPErrorCode? {
        if case .retval(let code, _, _) = self { return VPPErrorCode.lookup(code) }
        return nil
    }

    /// A sentence for error bodies and CLI messages (names VPP error codes).
    public var description: String {
        switch self {
        case .notConnected: return "not connected to VPP"
        case .disconnected(let r): return "connection to VPP lost during the call (\(r))"
        case .timeout(let m, let d): return "\(m): no reply from VPP within \(d)"
        case .messageUnavailable(let m, let r): return "\(m) is unavailable: \(r)"
        case .invalidRequest(let m, let e): return "\(m): invalid request: \(e)"
        case .wrongPattern(let m, let e): return "\(m): \(e)"
        case .retval(let code, let m, _):
            let known = VPPErrorCode.lookup(code)
            return "\(m) failed with retval \(code) (\(known?.name ?? "unknown code")\(known.map { ": " + $0.message } ?? ""))"
        case .malformedReply(let m, let e): return "cannot decode \(m): \(e)"
        case .streamOverflow(let m, let n): return "\(m): the consumer fell more than \(n) messages behind; stream abandoned"
        case .overloaded(let n): return "VPP is not reading its socket (\(n) bytes queued); request refused"
        case .cancelled: return "cancelled"
        case .shutdown: return "the VPP client was shut down"
        case .connectFailed(let s): return "cannot connect to VPP: \(s)"
        }
    }
}
