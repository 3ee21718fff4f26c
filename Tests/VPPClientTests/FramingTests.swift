import Testing
import VPPTestSupport
@testable import VPPClient

/// Frames `payload` the way VPP does, optionally with junk where VPP leaks its pointer and
/// timestamp (bytes 0-7 and 12-15).
func frame(_ payload: [UInt8], junk: Bool) -> [UInt8] {
    var out: [UInt8] = []
    FrameHeader.appendFramed(payload, to: &out)
    if junk {
        for i in [0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15] { out[i] = UInt8(truncatingIfNeeded: 0xA5 &+ i) }
    }
    return out
}

/// Feeds `stream` to a reader in chunks of the given sizes and collects what it yields.
func feed(_ reader: FrameReader, _ stream: [UInt8], chunks: inout SplitMix64, maxChunk: Int) -> [FrameEventCopy] {
    var out: [FrameEventCopy] = []
    var offset = 0
    while offset < stream.count {
        let space = reader.writableSpace()
        let n = min(space.count, stream.count - offset, Int.random(in: 1...maxChunk, using: &chunks))
        for i in 0..<n { space[i] = stream[offset + i] }
        reader.commit(n)
        offset += n
        while let e = reader.next() { out.append(FrameEventCopy(e)) }
    }
    return out
}

enum FrameEventCopy: Equatable {
    case message([UInt8])
    case oversized(Int, [UInt8])

    init(_ e: FrameEvent) {
        switch e {
        case .message(let p): self = .message(Array(p))
        case .oversized(let n, let prefix): self = .oversized(n, prefix)
        }
    }
}

@Suite("Framing")
struct FramingTests {
    @Test("messages are split correctly whatever the read boundaries, ignoring header junk")
    func splitsAcrossArbitraryReads() {
        var rng = SplitMix64(state: 42)
        var payloads: [[UInt8]] = []
        var stream: [UInt8] = []
        for i in 0..<500 {
            let size = i % 50 == 0 ? Int.random(in: 300_000...700_000, using: &rng) : Int.random(in: 0...300, using: &rng)
            let p = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
            payloads.append(p)
            stream += frame(p, junk: i % 2 == 0)
        }
        for maxChunk in [7, 4096, 1 << 20] {
            let reader = FrameReader(initialCapacity: 4096, maxMessageSize: 1 << 20)
            var chunks = SplitMix64(state: UInt64(maxChunk))
            let got = feed(reader, stream, chunks: &chunks, maxChunk: maxChunk)
            #expect(got == payloads.map { .message($0) }, "max chunk \(maxChunk)")
            #expect(reader.buffered == 0)
        }
    }

    @Test("a message above the size limit is skipped without being stored, and the next one is read")
    func skipsOversizedMessages() {
        let big = [UInt8](repeating: 7, count: 100_000)
        var stream = frame([0, 9, 0, 0, 0, 5, 1, 2, 3, 4, 5, 6], junk: false)
        var bigFramed = frame(big, junk: true)
        bigFramed[16] = 0x12
        bigFramed[17] = 0x34
        stream += bigFramed
        stream += frame([1, 2, 3], junk: true)
        let reader = FrameReader(initialCapacity: 4096, maxMessageSize: 50_000)
        var chunks = SplitMix64(state: 1)
        let got = feed(reader, stream, chunks: &chunks, maxChunk: 3000)
        #expect(got.count == 3)
        #expect(got.first == .message([0, 9, 0, 0, 0, 5, 1, 2, 3, 4, 5, 6]))
        if case .oversized(let n, let prefix) = got[1] {
            #expect(n == 100_000)
            #expect(prefix.isEmpty || prefix.first == 0x12)
        } else {
            Issue.record("expected an oversized notice, got \(got[1])")
        }
        #expect(got.last == .message([1, 2, 3]))
        #expect(reader.bufferCapacity <= 8192, "the skipped message must not grow the buffer")
    }

    @Test("the buffer grows for a large message and shrinks back once it is consumed")
    func growsAndShrinks() {
        let reader = FrameReader(initialCapacity: 1024, maxMessageSize: 10 << 20)
        let payload = [UInt8](repeating: 1, count: 3 << 20)
        var chunks = SplitMix64(state: 3)
        let got = feed(reader, frame(payload, junk: false), chunks: &chunks, maxChunk: 65536)
        #expect(got == [.message(payload)])
        #expect(reader.bufferCapacity >= 3 << 20)
        _ = reader.writableSpace()
        #expect(reader.bufferCapacity == 1024)
    }

    @Test("outgoing headers carry only data_len, big-endian, at bytes 8-11")
    func writesHeader() {
        var out: [UInt8] = []
        FrameHeader.appendFramed([0xAA, 0xBB, 0xCC], to: &out)
        #expect(out == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0xAA, 0xBB, 0xCC])
    }
}
