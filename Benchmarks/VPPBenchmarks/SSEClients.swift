#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Thousands of SSE subscribers on raw non-blocking sockets, served by one epoll thread.
///
/// Each connection sends `GET path`, reads the `text/event-stream` response (chunked, or ending
/// with the connection as the gateway sends it), and for
/// every `data:` line takes the number after `"sw_if_index":` as the event's sequence number
/// (the benchmark emits sequence numbers there). Receipt time minus the emit time recorded
/// by the emitter (`EmitClock`) is the delivery latency. Connections are opened at most
/// `maxOpening` at a time (a connection is "opening" until its `: subscribed` comment).
final class SSESubscribers: Sendable {
    let count: Int
    let port: UInt16
    let path: String
    let expectedEvents: Int
    let clock: EmitClock
    let maxOpening: Int

    /// Subscribers whose stream is open (`: subscribed` seen).
    let subscribed = Atomic<Int>(0)
    /// Connections that failed or ended unexpectedly.
    let failed = Atomic<Int>(0)
    /// Event lines received, all subscribers together.
    let eventsReceived = Atomic<Int>(0)
    private let stopRequested = Atomic<Bool>(false)
    private let finished = Mutex<Report?>(nil)
    private let done = DispatchSemaphore(value: 0)

    /// What the subscribers saw.
    struct Report: Sendable {
        /// Delivery latencies in microseconds, sorted (one per subscriber per event).
        var latencies: [UInt32] = []
        /// Per event: the latency of its last delivery (fan-out completion), µs, sorted.
        var completion: [UInt32] = []
        /// Events not received, summed over subscribers.
        var lost = 0
        /// Subscribers that missed at least one event.
        var subscribersWithLoss = 0
        var duplicates = 0
        var outOfOrder = 0
        var overflowEvents = 0
        var heartbeats = 0
        var otherControl = 0
        var unknownSequence = 0
        var failedConnections = 0
        var bytes = 0
    }

    init(count: Int, port: UInt16, path: String, expectedEvents: Int, clock: EmitClock, maxOpening: Int = 256) {
        self.count = count
        self.port = port
        self.path = path
        self.expectedEvents = expectedEvents
        self.clock = clock
        self.maxOpening = maxOpening
    }

    /// Starts the epoll thread, which opens the connections.
    func start() {
        let thread = Thread { [self] in
            nameThisThread("sse-subscribers")
            var loop = EpollLoop(self)
            let report = loop.run()
            finished.withLock { $0 = report }
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Closes every connection, ends the thread and returns what was seen.
    func stop() -> Report {
        stopRequested.store(true, ordering: .relaxed)
        done.wait()
        return finished.withLock { $0 } ?? Report()
    }

    fileprivate var shouldStop: Bool { stopRequested.load(ordering: .relaxed) }
}

/// Emit times by sequence number, written by the emitter before each emit.
final class EmitClock: Sendable {
    private let times: Mutex<[UInt64]>

    init(events: Int) { times = Mutex([UInt64](repeating: 0, count: events)) }

    func record(_ sequence: Int, at nanos: UInt64) { times.withLock { $0[sequence] = nanos } }

    var snapshot: [UInt64] { times.withLock { $0 } }
}

/// epoll, which the Glibc module does not import: the three calls looked up with dlsym,
/// `struct epoll_event` handled as bytes (packed, 12 bytes, on x86_64).
private struct Epoll {
    typealias Create1 = @convention(c) (Int32) -> Int32
    typealias Ctl = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias Wait = @convention(c) (Int32, UnsafeMutableRawPointer?, Int32, Int32) -> Int32

    static let input: UInt32 = 0x001, output: UInt32 = 0x004, error: UInt32 = 0x008, hangUp: UInt32 = 0x010
    static let add: Int32 = 1, modify: Int32 = 3
    static let closeOnExec: Int32 = 0o2000000
    #if arch(x86_64)
    static let eventSize = 12, dataOffset = 4
    #else
    static let eventSize = 16, dataOffset = 8
    #endif

    let create1: Create1
    let ctlCall: Ctl
    let waitCall: Wait

    init() {
        let libc = dlopen(nil, RTLD_NOW)
        func symbol(_ name: String) -> UnsafeMutableRawPointer {
            guard let p = dlsym(libc, name) else { fatalError("\(name) not found in libc") }
            return p
        }
        create1 = unsafeBitCast(symbol("epoll_create1"), to: Create1.self)
        ctlCall = unsafeBitCast(symbol("epoll_ctl"), to: Ctl.self)
        waitCall = unsafeBitCast(symbol("epoll_wait"), to: Wait.self)
    }

    /// epoll_ctl with one event (`events`, `data`).
    func ctl(_ epfd: Int32, _ op: Int32, _ fd: Int32, events: UInt32, data: UInt64) -> Int32 {
        var bytes = [UInt8](repeating: 0, count: Self.eventSize)
        return bytes.withUnsafeMutableBytes { raw in
            raw.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: data, toByteOffset: Self.dataOffset, as: UInt64.self)
            return ctlCall(epfd, op, fd, raw.baseAddress)
        }
    }
}

/// The state of every connection, owned by the epoll thread.
private struct EpollLoop {
    let owner: SSESubscribers
    let epoll = Epoll()
    let epfd: Int32
    let n: Int
    let events: Int
    let words: Int

    enum Phase: UInt8 { case connecting, headers, streaming, closed }
    var fds: [Int32]
    var phase: [Phase]
    var headerBuffer: [[UInt8]]
    /// Chunked decoding: > 0 bytes of chunk data left; 0 reading a size line; -1 expecting the
    /// CRLF after chunk data (the CR or LF still to skip).
    var chunkLeft: [Int]
    var chunkSize: [Int]
    /// The body is chunked; otherwise it runs until the connection closes (the gateway's SSE).
    var chunked: [Bool]
    var carry: [[UInt8]]
    var received: [UInt64]
    var lastSeq: [Int32]
    var isSubscribed: [Bool]
    var emitTimes: [UInt64]
    var completion: [UInt32]
    var report = SSESubscribers.Report()
    let request: [UInt8]
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 256 * 1024, alignment: 16)

    var nextToOpen = 0
    var opening = 0

    init(_ owner: SSESubscribers) {
        self.owner = owner
        n = owner.count
        events = owner.expectedEvents
        words = (owner.expectedEvents + 63) / 64
        epfd = epoll.create1(Epoll.closeOnExec)
        fds = [Int32](repeating: -1, count: n)
        phase = [Phase](repeating: .connecting, count: n)
        headerBuffer = [[UInt8]](repeating: [], count: n)
        chunkLeft = [Int](repeating: 0, count: n)
        chunkSize = [Int](repeating: 0, count: n)
        chunked = [Bool](repeating: false, count: n)
        carry = [[UInt8]](repeating: [], count: n)
        received = [UInt64](repeating: 0, count: n * words)
        lastSeq = [Int32](repeating: -1, count: n)
        isSubscribed = [Bool](repeating: false, count: n)
        emitTimes = [UInt64](repeating: 0, count: events)
        completion = [UInt32](repeating: 0, count: events)
        report.latencies.reserveCapacity(n * events)
        request = Array("GET \(owner.path) HTTP/1.1\r\nHost: 127.0.0.1:\(owner.port)\r\nAccept: text/event-stream\r\n\r\n".utf8)
    }

    mutating func run() -> SSESubscribers.Report {
        defer { buffer.deallocate() }
        let capacity = 1024
        let ready = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity * Epoll.eventSize, alignment: 8)
        defer { ready.deallocate() }
        while !owner.shouldStop {
            openMore()
            let count = epoll.waitCall(epfd, ready.baseAddress, Int32(capacity), 20)
            if count < 0 { if errno == EINTR { continue } else { break } }
            for k in 0..<Int(count) {
                let flags = ready.loadUnaligned(fromByteOffset: k * Epoll.eventSize, as: UInt32.self)
                let i = Int(ready.loadUnaligned(fromByteOffset: k * Epoll.eventSize + Epoll.dataOffset, as: UInt64.self))
                switch phase[i] {
                case .connecting: connected(i)
                case .headers, .streaming:
                    if flags & (Epoll.input | Epoll.hangUp | Epoll.error) != 0 { readable(i) }
                case .closed: break
                }
            }
        }
        for i in 0..<n where fds[i] >= 0 { close(fds[i]) }
        close(epfd)
        return finish()
    }

    /// Opens connections while fewer than `maxOpening` are on their way.
    mutating func openMore() {
        while opening < owner.maxOpening && nextToOpen < n {
            let i = nextToOpen
            nextToOpen += 1
            opening += 1
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { fail(i); continue }
            fds[i] = fd
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = owner.port.bigEndian
            addr.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            let rc = withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if rc != 0 && errno != EINPROGRESS { fail(i); continue }
            if epoll.ctl(epfd, Epoll.add, fd, events: Epoll.output | Epoll.input, data: UInt64(i)) != 0 { fail(i); continue }
        }
    }

    mutating func fail(_ i: Int) {
        if phase[i] == .closed { return }
        if !isSubscribed[i] { opening -= 1 }
        if fds[i] >= 0 {
            close(fds[i])
            fds[i] = -1
        }
        phase[i] = .closed
        report.failedConnections += 1
        owner.failed.add(1, ordering: .relaxed)
    }

    mutating func connected(_ i: Int) {
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &len) == 0, err == 0 else { fail(i); return }
        let sent = request.withUnsafeBytes { write(fds[i], $0.baseAddress, $0.count) }
        guard sent == request.count else { fail(i); return }
        guard epoll.ctl(epfd, Epoll.modify, fds[i], events: Epoll.input, data: UInt64(i)) == 0 else { fail(i); return }
        phase[i] = .headers
    }

    mutating func readable(_ i: Int) {
        let got = read(fds[i], buffer.baseAddress, buffer.count)
        if got < 0 && (errno == EAGAIN || errno == EINTR) { return }
        guard got > 0 else { fail(i); return }
        let now = monotonicNanos()
        report.bytes += got
        var start = 0
        if phase[i] == .headers {
            headerBuffer[i] += UnsafeRawBufferPointer(rebasing: buffer[0..<got])
            guard let end = headerEnd(headerBuffer[i]) else {
                if headerBuffer[i].count > 16 * 1024 { fail(i) }
                return
            }
            let head = String(decoding: headerBuffer[i][0..<end], as: UTF8.self)
            let lowered = head.lowercased()
            chunked[i] = lowered.contains("transfer-encoding: chunked")
            guard head.hasPrefix("HTTP/1.1 200"), chunked[i] || lowered.contains("connection: close") else {
                printError("[sse] subscriber \(i): unexpected response: \(head.prefix(200))")
                fail(i)
                return
            }
            // The rest of what was read is body: feed it from the header buffer.
            let rest = Array(headerBuffer[i][(end + 4)...])
            headerBuffer[i] = []
            phase[i] = .streaming
            rest.withUnsafeBytes { body(i, $0, now) }
            return
        }
        start = 0
        body(i, UnsafeRawBufferPointer(rebasing: buffer[start..<got]), now)
    }

    func headerEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        for k in 0...(b.count - 4) where b[k] == 13 && b[k + 1] == 10 && b[k + 2] == 13 && b[k + 3] == 10 { return k }
        return nil
    }

    /// De-chunks `bytes` (when chunked) and hands the data to the SSE line parser.
    mutating func body(_ i: Int, _ bytes: UnsafeRawBufferPointer, _ now: UInt64) {
        guard chunked[i] else {
            lines(i, bytes, now)
            return
        }
        var k = 0
        while k < bytes.count {
            let left = chunkLeft[i]
            if left > 0 {
                let take = min(left, bytes.count - k)
                lines(i, UnsafeRawBufferPointer(rebasing: bytes[k..<(k + take)]), now)
                k += take
                chunkLeft[i] = left - take
                if chunkLeft[i] == 0 { chunkLeft[i] = -1 }
            } else if left == -1 {
                // CRLF after chunk data.
                if bytes[k] == 10 { chunkLeft[i] = 0 }
                k += 1
            } else {
                // Size line: hex digits, CRLF (libmicrohttpd sends no extensions).
                let c = bytes[k]
                k += 1
                if let v = hexValue(c) {
                    chunkSize[i] = chunkSize[i] * 16 + v
                } else if c == 10 {
                    let size = chunkSize[i]
                    chunkSize[i] = 0
                    if size == 0 {
                        // The last chunk: the server ended the stream.
                        fail(i)
                        return
                    }
                    chunkLeft[i] = size
                }
            }
        }
    }

    func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 48...57: Int(c - 48)
        case 97...102: Int(c - 87)
        case 65...70: Int(c - 55)
        default: nil
        }
    }

    /// Splits event-stream data into lines; partial lines wait in `carry`.
    mutating func lines(_ i: Int, _ data: UnsafeRawBufferPointer, _ now: UInt64) {
        var start = 0
        while start < data.count {
            guard let nl = data[start...].firstIndex(of: 10) else {
                carry[i] += UnsafeRawBufferPointer(rebasing: data[start...])
                return
            }
            if carry[i].isEmpty {
                line(i, UnsafeRawBufferPointer(rebasing: data[start..<nl]), now)
            } else {
                carry[i] += UnsafeRawBufferPointer(rebasing: data[start..<nl])
                let whole = carry[i]
                carry[i].removeAll(keepingCapacity: true)
                whole.withUnsafeBytes { line(i, $0, now) }
            }
            start = nl + 1
        }
    }

    static let dataPrefix = Array("data: ".utf8)
    static let eventPrefix = Array("event: ".utf8)
    static let subscribedPrefix = Array(": subscribed".utf8)
    static let heartbeatPrefix = Array(": heartbeat".utf8)
    static let indexKey = Array("\"sw_if_index\":".utf8)

    mutating func line(_ i: Int, _ l: UnsafeRawBufferPointer, _ now: UInt64) {
        if l.starts(with: Self.dataPrefix) {
            guard let seq = sequence(in: l) else { return }   // a control event's data
            event(i, seq, now)
        } else if l.starts(with: Self.eventPrefix) {
            let name = l.dropFirst(Self.eventPrefix.count)
            if name.elementsEqual("overflow".utf8) { report.overflowEvents += 1 }
            else if !name.elementsEqual("sw_interface_event".utf8) { report.otherControl += 1 }
        } else if l.starts(with: Self.subscribedPrefix) {
            if !isSubscribed[i] {
                isSubscribed[i] = true
                opening -= 1
                owner.subscribed.add(1, ordering: .relaxed)
            }
        } else if l.starts(with: Self.heartbeatPrefix) {
            report.heartbeats += 1
        }
    }

    func sequence(in l: UnsafeRawBufferPointer) -> Int? {
        let key = Self.indexKey
        guard l.count > key.count else { return nil }
        var k = 0
        while k + key.count <= l.count {
            if l[k] == key[0] && l[k..<(k + key.count)].elementsEqual(key) {
                var v = 0
                var j = k + key.count
                var digits = 0
                while j < l.count, l[j] >= 48, l[j] <= 57 {
                    v = v * 10 + Int(l[j] - 48)
                    j += 1
                    digits += 1
                }
                return digits > 0 ? v : nil
            }
            k += 1
        }
        return nil
    }

    mutating func event(_ i: Int, _ seq: Int, _ now: UInt64) {
        owner.eventsReceived.add(1, ordering: .relaxed)
        guard seq >= 0, seq < events else { report.unknownSequence += 1; return }
        let w = i * words + seq / 64
        let bit = UInt64(1) << UInt64(seq % 64)
        if received[w] & bit != 0 { report.duplicates += 1; return }
        received[w] |= bit
        if Int32(seq) < lastSeq[i] { report.outOfOrder += 1 }
        lastSeq[i] = Int32(seq)
        if emitTimes[seq] == 0 { emitTimes = owner.clock.snapshot }
        let sent = emitTimes[seq]
        guard sent != 0 else { report.unknownSequence += 1; return }
        let micros = UInt32(clamping: (now &- sent) / 1000)
        report.latencies.append(micros)
        completion[seq] = max(completion[seq], micros)
    }

    mutating func finish() -> SSESubscribers.Report {
        var r = report
        let sent = owner.clock.snapshot
        let emitted = sent.enumerated().filter { $0.element != 0 }.map(\.offset)
        for i in 0..<n {
            var missing = 0
            for seq in emitted where received[i * words + seq / 64] & (UInt64(1) << UInt64(seq % 64)) == 0 { missing += 1 }
            r.lost += missing
            if missing > 0 { r.subscribersWithLoss += 1 }
        }
        r.latencies.sort()
        r.completion = emitted.map { completion[$0] }.sorted()
        return r
    }
}
