/// The socket transport's 16-byte message header.
///
/// VPP writes its in-memory `msgbuf_t` in front of every message: `svm_queue_t *q`
/// (8 bytes), `u32 data_len` (big-endian, payload length without the header), and
/// `u32 gc_mark_timestamp` (src/vlibapi/api_common.h:127-133). On output it copies the whole
/// struct (socket_api.c:133), so bytes 0-7 and 12-15 may hold a stale ring pointer and a
/// timestamp: only `data_len` is read. Clients send zeros there (vpp_papi `">QII"`,
/// vpp_transport_socket.py:29).
enum FrameHeader {
    /// Size of the header in bytes.
    static let size = 16

    /// Appends a header for a payload of `length` bytes to `out`.
    @inline(__always)
    static func append(length: Int, to out: inout [UInt8]) {
        let n = UInt32(truncatingIfNeeded: length)
        out.append(contentsOf: [0, 0, 0, 0, 0, 0, 0, 0,
                                UInt8(truncatingIfNeeded: n >> 24), UInt8(truncatingIfNeeded: n >> 16),
                                UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n),
                                0, 0, 0, 0])
    }

    /// Appends a header and the payload: one framed message.
    @inline(__always)
    static func appendFramed(_ payload: [UInt8], to out: inout [UInt8]) {
        append(length: payload.count, to: &out)
        out.append(contentsOf: payload)
    }
}

/// What `FrameReader.next()` found.
enum FrameEvent {
    /// A complete message payload (starting with `_vl_msg_id`). Valid until the reader's
    /// buffer is next written to.
    case message(UnsafeRawBufferPointer)
    /// A message above the size limit: it is being skipped. `prefix` holds up to its first
    /// 10 bytes (id and context of most messages) when they had arrived already.
    case oversized(length: Int, prefix: [UInt8])
}

/// Splits VPP's byte stream into messages.
///
/// Owned by the reader thread alone. Reads go straight into a growable buffer (VPP sends in
/// ≤4 KB pieces, socket_api.c:396-417, so one `read` may end anywhere inside a header or
/// payload); complete messages are handed out in place, without copying, and the unread
/// tail is moved to the front. A message larger than the buffer grows it (up to
/// `maxMessageSize`; `get_api_json_reply` is several MB); a larger one is skipped byte by
/// byte without being stored, so even a 4 GiB `data_len` cannot exhaust memory.
final class FrameReader {
    private var storage: UnsafeMutableRawPointer
    private var capacity: Int
    private var start = 0
    private var end = 0
    private var needed = 0
    private var skipRemaining = 0
    private let initialCapacity: Int
    let maxMessageSize: Int

    /// A reader with `initialCapacity` bytes of buffer.
    init(initialCapacity: Int = 256 << 10, maxMessageSize: Int) {
        self.initialCapacity = max(initialCapacity, 64)
        self.capacity = self.initialCapacity
        self.maxMessageSize = maxMessageSize
        storage = UnsafeMutableRawPointer.allocate(byteCount: self.initialCapacity, alignment: 16)
    }

    deinit { storage.deallocate() }

    /// Bytes buffered but not yet handed out.
    var buffered: Int { end - start }

    /// Current buffer size (tests check that it grows and shrinks).
    var bufferCapacity: Int { capacity }

    /// Free space to `read()` into. Always at least 1 byte; compacts, grows for a pending
    /// large message, and shrinks back after one.
    func writableSpace() -> UnsafeMutableRawBufferPointer {
        if start == end {
            start = 0
            end = 0
            if capacity > initialCapacity * 4 && needed <= initialCapacity {
                storage.deallocate()
                capacity = initialCapacity
                storage = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
            }
        }
        let want = max(needed, end - start + 1)
        if capacity - start < want || end == capacity {
            if start > 0 {
                (storage).copyMemory(from: storage + start, byteCount: end - start)
                end -= start
                start = 0
            }
            if capacity < want || end == capacity {
                var newCapacity = capacity * 2
                while newCapacity < want { newCapacity *= 2 }
                let bigger = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
                bigger.copyMemory(from: storage, byteCount: end)
                storage.deallocate()
                storage = bigger
                capacity = newCapacity
            }
        }
        return UnsafeMutableRawBufferPointer(start: storage + end, count: capacity - end)
    }

    /// Records that `count` bytes were read into `writableSpace()`.
    func commit(_ count: Int) {
        end += count
    }

    /// The next complete message or oversized notice, nil when more bytes are needed.
    func next() -> FrameEvent? {
        if skipRemaining > 0 {
            let drop = min(skipRemaining, end - start)
            start += drop
            skipRemaining -= drop
            if skipRemaining > 0 { return nil }
        }
        let available = end - start
        guard available >= FrameHeader.size else {
            needed = FrameHeader.size
            return nil
        }
        let p = storage + start
        // VPP: api_common.h:127-133 msgbuf_t; only data_len (bytes 8-11, BE) is meaningful.
        let length = Int(UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        if length > maxMessageSize {
            let prefixCount = min(10, max(0, available - FrameHeader.size), length)
            let prefix = Array(UnsafeRawBufferPointer(start: p + FrameHeader.size, count: prefixCount))
            start += FrameHeader.size
            skipRemaining = length
            needed = 0
            let drop = min(skipRemaining, end - start)
            start += drop
            skipRemaining -= drop
            return .oversized(length: length, prefix: prefix)
        }
        guard available >= FrameHeader.size + length else {
            needed = FrameHeader.size + length
            return nil
        }
        needed = 0
        start += FrameHeader.size + length
        return .message(UnsafeRawBufferPointer(start: p + FrameHeader.size, count: length))
    }
}
