#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One accepted API socket: VPP's `vl_api_registration_t` of type SOCKET_SERVER.
///
/// Owned by the loop thread only. VPP allocates the registration when it accepts the
/// connection (socksvr_file_add, socket_api.c:434-452), so its pool index — and the client
/// handle `index | 0x80000000` — exists before any `sockclnt_create`.
final class Connection {
    let fd: Int32
    let poolIndex: UInt32
    /// Name from `sockclnt_create` (VPP: regp->name).
    var name = ""
    private var input: [UInt8] = []
    private var inputStart = 0
    private var output: [UInt8] = []
    private var outputStart = 0
    /// Messages held back by a delay fault, in order; everything after the first waits too.
    private var delayed: [(due: UInt64, bytes: [UInt8])] = []
    private var delayedStart = 0
    var isClosed = false

    init(fd: Int32, poolIndex: UInt32) {
        self.fd = fd
        self.poolIndex = poolIndex
    }

    /// The client handle VPP returns as `sockclnt_create_reply.index` (socket_api.c:42-49).
    var handle: UInt32 { poolIndex | 0x8000_0000 }

    var hasOutput: Bool { outputStart < output.count }
    var nextDelayedDue: UInt64? { delayedStart < delayed.count ? delayed[delayedStart].due : nil }

    // MARK: input

    /// Reads what the socket has. VPP reads 4096 bytes at a time and re-assembles
    /// (socket_api.c:256-378); a larger read changes nothing a client can see.
    /// Returns false on EOF or a hard error (the registration must be removed).
    /// At most 16 buffers are read per call, so one busy client cannot starve the others.
    func readAvailable(into scratch: UnsafeMutableRawBufferPointer) -> Bool {
        var reads = 0
        while true {
            let n = read(fd, scratch.baseAddress, scratch.count)
            if n > 0 {
                input.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                reads += 1
                if n < scratch.count || reads >= 16 { return true }
                continue
            }
            if n == 0 { return false }
            let e = errno
            if e == EINTR { continue }
            return e == EAGAIN || e == EWOULDBLOCK
        }
    }

    /// The next complete message payload (without the 16-byte header), if one has arrived.
    /// Only `data_len` (bytes 8-11, big-endian) is read; `q` and `gc_mark_timestamp` are
    /// ignored as VPP ignores them (socket_api.c:318-322).
    func nextMessage() -> [UInt8]? {
        let available = input.count - inputStart
        guard available > Wire.headerSize else {
            compactInput()
            return nil
        }
        var length = 0
        for i in 8..<12 { length = length << 8 | Int(input[inputStart + i]) }
        guard available >= Wire.headerSize + length else {
            compactInput()
            return nil
        }
        let start = inputStart + Wire.headerSize
        let payload = Array(input[start..<start + length])
        inputStart = start + length
        return payload
    }

    private func compactInput() {
        Self.compact(&input, consumed: &inputStart, shiftAbove: 1 << 16)
    }

    /// Drops the consumed front of a buffer: all of it once everything is consumed (keeping
    /// up to 1 MiB of capacity), else by shifting once more than `shiftAbove` bytes are.
    private static func compact(_ buffer: inout [UInt8], consumed: inout Int, shiftAbove: Int) {
        if consumed == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            consumed = 0
        } else if consumed > shiftAbove {
            buffer.removeFirst(consumed)
            consumed = 0
        }
    }

    // MARK: output

    /// Queues a framed message; with `due` in the future (a delay fault) it waits, and so does
    /// everything queued after it, keeping the per-client order VPP has.
    func enqueue(_ frame: [UInt8], due: UInt64?, now: UInt64) {
        if let due, due > now {
            delayed.append((due, frame))
        } else if delayedStart < delayed.count {
            delayed.append((now, frame))
        } else {
            output.append(contentsOf: frame)
        }
    }

    /// Appends a frame straight to the output buffer (hot path: no fault configured).
    func appendFrame(payload: UnsafeRawBufferPointer, junk: Wire.Junk?) {
        Wire.appendHeader(to: &output, length: payload.count, junk: junk)
        output.append(contentsOf: payload)
    }

    /// True when nothing is held back by a delay (the hot path may append directly).
    var canAppendDirectly: Bool { delayedStart == delayed.count }

    /// Moves delayed messages whose time has come to the output buffer, in order.
    func releaseDelayed(now: UInt64) {
        while delayedStart < delayed.count, delayed[delayedStart].due <= now {
            output.append(contentsOf: delayed[delayedStart].bytes)
            delayedStart += 1
        }
        if delayedStart == delayed.count {
            delayed.removeAll()
            delayedStart = 0
        }
    }

    /// Sends buffered output with non-blocking `send()` in ≤ 4096-byte chunks, keeping what
    /// the socket does not take (socket_api.c:396-417: VPP never drops for a slow reader).
    /// Returns false on a hard error.
    func flush() -> Bool {
        while outputStart < output.count {
            let chunk = min(4096, output.count - outputStart)
            let n = output.withUnsafeBytes { p -> Int in
                guard let base = p.baseAddress else { return 0 }
                return send(fd, base + outputStart, chunk, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if n > 0 {
                outputStart += n
                continue
            }
            let e = errno
            if n < 0, e == EINTR { continue }
            if n < 0, e == EAGAIN || e == EWOULDBLOCK { break }
            return false
        }
        Self.compact(&output, consumed: &outputStart, shiftAbove: 1 << 20)
        return true
    }

    func close() {
        guard !isClosed else { return }
        isClosed = true
        Wire.closeDescriptor(fd)
    }
}
