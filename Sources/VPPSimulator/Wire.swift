#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The socket transport's framing (notes §1.2).
///
/// VPP: each message is its in-memory `msgbuf_t` header — `svm_queue_t *q` (8 bytes),
/// `u32 data_len` (big-endian), `u32 gc_mark_timestamp` — then the payload
/// (src/vlibapi/api_common.h:127-133). On output VPP copies the whole `msgbuf_t`
/// (socket_api.c:133), so `q` can hold a pointer and the timestamp a value: only `data_len`
/// means anything.
enum Wire {
    static let headerSize = 16

    /// Values for the meaningless header bytes of one outgoing message.
    struct Junk {
        var pointer: UInt64
        var timestamp: UInt32
    }

    /// Makes "leaked" header values, like a VPP heap pointer and a GC mark, for some messages.
    struct JunkSource {
        private var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let enabled: Bool

        init(enabled: Bool) { self.enabled = enabled }

        /// Junk for roughly every other message; nil = write zeros.
        mutating func next() -> Junk? {
            guard enabled else { return nil }
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            guard state & 1 == 1 else { return nil }
            return Junk(pointer: 0x0000_7f00_0000_0000 | (state & 0xff_ffff_fff0), timestamp: UInt32(truncatingIfNeeded: state >> 32) | 1)
        }
    }

    /// Appends a 16-byte header for a payload of `length` bytes.
    static func appendHeader(to out: inout [UInt8], length: Int, junk: Junk?) {
        let q = junk?.pointer ?? 0
        let gc = junk?.timestamp ?? 0
        let n = UInt32(truncatingIfNeeded: length)
        out.append(contentsOf: [
            UInt8(q >> 56), UInt8((q >> 48) & 0xff), UInt8((q >> 40) & 0xff), UInt8((q >> 32) & 0xff),
            UInt8((q >> 24) & 0xff), UInt8((q >> 16) & 0xff), UInt8((q >> 8) & 0xff), UInt8(q & 0xff),
            UInt8(n >> 24), UInt8((n >> 16) & 0xff), UInt8((n >> 8) & 0xff), UInt8(n & 0xff),
            UInt8(gc >> 24), UInt8((gc >> 16) & 0xff), UInt8((gc >> 8) & 0xff), UInt8(gc & 0xff),
        ])
    }

    /// A whole frame: header + payload.
    static func frame(_ payload: [UInt8], junk: Junk?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(headerSize + payload.count)
        appendHeader(to: &out, length: payload.count, junk: junk)
        out.append(contentsOf: payload)
        return out
    }

    /// Closes a file descriptor, ignoring errors (there is nothing to do about them).
    static func closeDescriptor(_ fd: Int32) {
        #if canImport(Glibc)
        _ = Glibc.close(fd)
        #else
        _ = Darwin.close(fd)
        #endif
    }

    /// Monotonic time in nanoseconds.
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
