import VPPTestSupport
import Foundation
@testable import HTTPServer
import Testing

/// Opens `GET /events` and returns the connection once the response head is read.
private func openStream(_ port: UInt16, receiveBuffer: Int? = nil) async throws -> (SendableBox<RawHTTPConnection>, ResponseHead) {
    try await offload {
        let connection = try RawHTTPConnection(port: port, timeout: 10, receiveBuffer: receiveBuffer)
        try connection.sendRequest("GET", "/events")
        let head = try connection.readHead()
        return (SendableBox(connection), head)
    }
}

@Suite("Streams that end with the connection (direct sends)")
struct DirectSendTests {
    /// Each frame is written only after the client saw the previous one, so every write but the
    /// first finds the connection suspended: with a writer thread the flusher sends it, without
    /// one libmicrohttpd does. The client must see the same bytes either way.
    @Test(arguments: [1, 0])
    func framesArriveUnchunkedInOrderAndFinishClosesTheConnection(writerThreads: Int) async throws {
        let writers = Mailbox<HTTPStreamWriter>()
        let server = try startStreamServer(endsWithConnection: true, { $0.streamWriterThreads = writerThreads }, writers: writers)
        let (connection, head) = try await openStream(server.port)
        #expect(head.status == 200)
        #expect(!head.isChunked)
        #expect(head.header("content-length") == nil)
        #expect(head.header("connection")?.lowercased() == "close")
        let writer = try await writers.take()
        let count = 30
        var expected = ""
        for n in 0..<count {
            let frame = "id: \(n)\ndata: {\"n\":\(n)}\n\n"
            expected += frame
            #expect(writer.tryWrite(Array(frame.utf8)))
            let have = expected.utf8.count
            let received = try await offload { () -> Int in
                var total = 0
                while total < have, let piece = try connection.value.readPiece(of: head) { total += piece.count }
                return total
            }
            #expect(received == frame.utf8.count, "frame \(n)")
            expected = ""
        }
        writer.finish()
        let rest = try await offload { try connection.value.readToEnd() }
        #expect(rest.isEmpty, "the body ends with the connection, without a chunked terminator")
        if writerThreads > 0 {
            #expect(writer.core.directBytes > 0, "no frame went straight to the socket")
        } else {
            #expect(writer.core.directBytes == 0)
        }
        try await within(5, "the stream to close") { await writer.closed() }
        await server.shutdown(gracePeriod: .seconds(2))
    }

    /// The client reads nothing while megabytes are queued: the flusher's send stops when the
    /// socket is full, libmicrohttpd takes over from that byte, and the client still gets every
    /// byte once, in order.
    @Test func aFullSocketHandsTheRestToLibmicrohttpdWithoutLosingOrReorderingBytes() async throws {
        let total = 8 * 1024 * 1024
        let piece = 64 * 1024
        let writers = Mailbox<HTTPStreamWriter>()
        let server = try startStreamServer(highWaterMark: total + piece, endsWithConnection: true, writers: writers)
        let (connection, head) = try await openStream(server.port, receiveBuffer: 4096)
        let writer = try await writers.take()
        // One byte first, read by the client: from then on the stream waits suspended.
        #expect(writer.tryWrite([patternByte(0)]))
        let first = try await offload { try connection.value.readPiece(of: head) ?? [] }
        #expect(first == [patternByte(0)])
        try await eventually(5, "the stream to wait for data") { writer.core.isSuspendedForTesting }
        let period = (0..<(piece + 251)).map(patternByte)
        var written = 1
        while written < total {
            #expect(writer.tryWrite(Array(period[(written % 251)..<(written % 251 + piece)])))
            written += piece
        }
        try await eventually(10, "the flusher to fill the socket and hand over") {
            writer.core.directBytes > 0 && !writer.core.isSuspendedForTesting
        }
        writer.finish()
        let (received, intact) = try await offload { () -> (Int, Bool) in
            var received = 1
            var intact = true
            while let data = try connection.value.readPiece(of: head) {
                for (index, byte) in data.enumerated() where byte != patternByte(received + index) { intact = false }
                received += data.count
            }
            return (received, intact)
        }
        #expect(received == written)
        #expect(intact)
        #expect(writer.core.directBytes < written, "libmicrohttpd sent none of it")
        await server.shutdown(gracePeriod: .seconds(2))
    }

    /// A producer that awaits `write` on a bounded queue is woken by whichever side makes room —
    /// the flusher's sends or libmicrohttpd's reads — and the slow client still gets every byte.
    @Test func awaitingWritesAreWokenByDirectSendsAndByLibmicrohttpd() async throws {
        let highWaterMark = 64 * 1024
        let piece = 16 * 1024
        let total = 4 * 1024 * 1024
        let writers = Mailbox<HTTPStreamWriter>()
        let server = try startStreamServer(highWaterMark: highWaterMark, endsWithConnection: true, writers: writers)
        let (connection, head) = try await openStream(server.port, receiveBuffer: 16 * 1024)
        let writer = try await writers.take()
        let client = Task {
            try await offload { () -> (Int, Bool) in
                var received = 0
                var intact = true
                while let data = try connection.value.readPiece(of: head) {
                    for (index, byte) in data.enumerated() where byte != patternByte(received + index) { intact = false }
                    received += data.count
                    if received % (256 * 1024) < data.count { usleep(2000) }  // now and then, slow
                }
                return (received, intact)
            }
        }
        let period = (0..<(piece + 251)).map(patternByte)
        // A waiter nobody wakes would hang here: bounded, it fails instead.
        try await within(20, "the producer to write everything") {
            var sent = 0
            while sent < total {
                try await writer.write(Array(period[(sent % 251)..<(sent % 251 + piece)]))
                sent += piece
            }
        }
        writer.finish()
        let (received, intact) = try await within(20, "the client to read everything") { try await client.value }
        #expect(received == total)
        #expect(intact)
        #expect(writer.core.peakQueuedBytes <= highWaterMark + piece)
        #expect(writer.core.backpressureWaits > 0, "the producer never had to wait")
        #expect(writer.core.directBytes > 0)
        await server.shutdown(gracePeriod: .seconds(2))
    }

    /// A suspended connection cannot see its client leave; the next direct send does, and the
    /// stream closes as it would had libmicrohttpd sent it.
    @Test func aClientThatLeftIsNoticedByTheNextDirectSend() async throws {
        let writers = Mailbox<HTTPStreamWriter>()
        let server = try startStreamServer(endsWithConnection: true, writers: writers)
        for round in 0..<20 {
            let (connection, head) = try await openStream(server.port)
            let writer = try await writers.take()
            let closeCalls = Counter()
            writer.onClose { closeCalls.increment() }
            #expect(writer.tryWrite(Array("data: first\n\n".utf8)))
            let first = try await offload { () -> String in
                let data = try connection.value.readPiece(of: head) ?? []
                if round.isMultiple(of: 2) { connection.value.abort() } else { connection.value.close() }
                return String(decoding: data, as: UTF8.self)
            }
            #expect(first == "data: first\n\n")
            try await eventually(5, "the stream to wait for data") { writer.core.isSuspendedForTesting }
            try await within(5, "the writer to observe the disconnect (round \(round))") {
                while writer.tryWrite(Array(": heartbeat\n\n".utf8)) || !writer.isClosed {
                    try await Task.sleep(for: .milliseconds(2))
                }
            }
            try await within(5, "closed() to return") { await writer.closed() }
            #expect(closeCalls.value == 1)
            if !round.isMultiple(of: 2) {
                // After a FIN the kernel still takes the first heartbeat (the peer answers it with a
                // reset); after a reset even the first send fails, with nothing sent.
                #expect(writer.core.directBytes > 0, "round \(round): the heartbeats never went straight to the socket")
            }
        }
        try await eventually(5, "streams to be released") { server.core.activeWork.streams == 0 }
        await server.shutdown(gracePeriod: .seconds(2))
    }

    /// Shutdown while the writer thread is busy sending to many streams: resumes that arrive
    /// during a send wait for it, and the daemon stops only when none is left (libmicrohttpd
    /// aborts the process if it is stopped with a connection suspended and no resume asked).
    @Test func shutdownDuringAFanOutEndsEveryStream() async throws {
        for round in 0..<4 {
            let writers = Mailbox<HTTPStreamWriter>()
            let server = try startStreamServer(endsWithConnection: true, writers: writers)
            var clients: [SendableBox<RawHTTPConnection>] = []
            var streamWriters: [HTTPStreamWriter] = []
            for _ in 0..<40 {
                clients.append(try await openStream(server.port, receiveBuffer: 16 * 1024).0)
                streamWriters.append(try await writers.take())
            }
            let opened = clients
            let readers = Task {
                try await offload { opened.map { connection in (try? connection.value.readToEnd().count) ?? -1 } }
            }
            let allWriters = streamWriters
            let producer = Task {
                var n = 0
                while !allWriters.allSatisfy(\.isClosed) {
                    for writer in allWriters { _ = writer.tryWrite(Array("id: \(n)\ndata: {}\n\n".utf8)) }
                    n += 1
                    await Task.yield()
                }
                return n
            }
            try await Task.sleep(for: .milliseconds(100))
            let started = ContinuousClock.now
            await server.shutdown(gracePeriod: .milliseconds(300))
            #expect(ContinuousClock.now - started < .seconds(3), "round \(round)")
            let frames = try await within(10, "the producer to see every stream closed") { await producer.value }
            #expect(frames > 0)
            let received = try await within(10, "every client to see its connection close") { try await readers.value }
            #expect(received.allSatisfy { $0 > 0 }, "round \(round): \(received)")
            #expect(streamWriters.contains { $0.core.directBytes > 0 }, "round \(round): nothing went straight to a socket")
        }
    }

    /// Shutdown ends a stream waiting between direct sends: what was written arrives, then the
    /// connection closes, within the grace period.
    @Test func shutdownEndsAWaitingStreamAfterItsLastBytes() async throws {
        let writers = Mailbox<HTTPStreamWriter>()
        let server = try startStreamServer(endsWithConnection: true, writers: writers)
        var clients: [(SendableBox<RawHTTPConnection>, ResponseHead)] = []
        var streamWriters: [HTTPStreamWriter] = []
        for _ in 0..<5 {
            clients.append(try await openStream(server.port))
            let writer = try await writers.take()
            #expect(writer.tryWrite(Array("data: hello\n\n".utf8)))
            streamWriters.append(writer)
        }
        for writer in streamWriters { try await eventually(5, "streams to wait") { writer.core.isSuspendedForTesting } }
        for writer in streamWriters { #expect(writer.tryWrite(Array("data: bye\n\n".utf8))) }
        let started = ContinuousClock.now
        await server.shutdown(gracePeriod: .seconds(2))
        #expect(ContinuousClock.now - started < .seconds(3))
        let opened = clients
        let bodies = try await offload {
            try opened.map { connection, head in
                var text = ""
                while let piece = try connection.value.readPiece(of: head) { text += String(decoding: piece, as: UTF8.self) }
                return text
            }
        }
        #expect(bodies == Array(repeating: "data: hello\n\ndata: bye\n\n", count: 5))
        for writer in streamWriters { #expect(writer.isClosed) }
    }
}
