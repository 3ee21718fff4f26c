import VPPTestSupport
import Foundation
@testable import HTTPServer
import Testing

@Suite("Streaming responses")
struct StreamingTests {
    @Test func tenMegabyteStreamToSlowReaderStaysWithinHighWaterMark() async throws {
        let highWaterMark = 64 * 1024
        let chunk = 16 * 1024
        let total = 10 * 1024 * 1024
        let writers = Mailbox<HTTPStreamWriter>()
        let server = try startStreamServer(highWaterMark: highWaterMark, writers: writers)
        let port = server.port
        // The client reads only once the producer had to wait, then slowly.
        let producerBlocked = Counter()
        let client = Task {
            try await offload { () -> (Int, Bool, Int) in
                let connection = try RawHTTPConnection(port: port, timeout: 20, receiveBuffer: 16 * 1024)
                try connection.sendRequest("GET", "/dump")
                let head = try connection.readHead()
                let deadline = Date().addingTimeInterval(20)
                while producerBlocked.value == 0 && Date() < deadline { usleep(1000) }
                var received = 0
                var intact = true
                while let data = try connection.readChunk() {
                    for (index, byte) in data.enumerated() where byte != patternByte(received + index) {
                        intact = false
                    }
                    received += data.count
                    usleep(50)
                }
                return (head.status, intact, received)
            }
        }
        let writer = try await writers.take()
        let watcher = Task {
            try await eventually(20, "the producer to block") { writer.core.backpressureWaits > 0 }
            producerBlocked.increment()
        }
        // The pattern repeats every 251 bytes, so every chunk is a slice of this.
        let period = (0..<(chunk + 251)).map(patternByte)
        var sent = 0
        while sent < total {
            try await writer.write(Array(period[(sent % 251)..<(sent % 251 + chunk)]))
            sent += chunk
        }
        writer.finish()
        try await watcher.value
        let (status, intact, received) = try await client.value
        #expect(status == 200)
        #expect(received == total)
        #expect(intact)
        #expect(writer.core.peakQueuedBytes <= highWaterMark + chunk)
        #expect(writer.core.backpressureWaits > 0, "the producer never had to wait for the slow reader")
        try await within(5, "stream to close after finishing") { await writer.closed() }
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func eventsReachTheClientOneByOneBeforeTheStreamEnds() async throws {
        let writers = Mailbox<HTTPStreamWriter>()
        let server = try startStreamServer(writers: writers)
        let port = server.port
        let acknowledgements = Mailbox<Int>()
        let count = 20
        let client = Task {
            try await offload { () -> [Int] in
                let connection = try RawHTTPConnection(port: port)
                try connection.sendRequest("GET", "/events", headers: [("Accept", "text/event-stream")])
                _ = try connection.readHead()
                var text = ""
                var ids: [Int] = []
                while let data = try connection.readChunk() {
                    text += String(decoding: data, as: UTF8.self)
                    while let end = text.range(of: "\n\n") {
                        let event = text[..<end.lowerBound]
                        text = String(text[end.upperBound...])
                        if let line = event.split(separator: "\n").first(where: { $0.hasPrefix("id: ") }),
                           let id = Int(line.dropFirst(4)) {
                            ids.append(id)
                            acknowledgements.put(id)
                        }
                    }
                }
                return ids
            }
        }
        let writer = try await writers.take()
        for id in 0..<count {
            try await writer.write("id: \(id)\nevent: tick\ndata: {\"n\":\(id)}\n\n")
            // The next event is written only after the client has seen this one:
            // had the server buffered the stream, this wait would time out.
            let seen = try await acknowledgements.take(timeout: 10, "client to receive event \(id)")
            #expect(seen == id)
        }
        writer.finish()
        #expect(try await client.value == Array(0..<count))
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test(arguments: [0, 2])
    func clientDisconnectMidStreamIsObservedByTheWriter(threadPoolSize: Int) async throws {
        let writers = Mailbox<HTTPStreamWriter>()
        let server = try startStreamServer({ $0.threadPoolSize = threadPoolSize }, writers: writers)
        let port = server.port
        for round in 0..<50 {
            let connection = try await offload { () -> SendableBox<RawHTTPConnection> in
                let connection = try RawHTTPConnection(port: port)
                try connection.sendRequest("GET", "/events")
                return SendableBox(connection)
            }
            let writer = try await writers.take()
            let closeCalls = Counter()
            writer.onClose { closeCalls.increment() }
            try await writer.write("data: first\n\n")
            let first = try await offload { () -> String in
                _ = try connection.value.readHead()
                let data = try connection.value.readChunk() ?? []
                if round.isMultiple(of: 2) { connection.value.abort() } else { connection.value.close() }
                return String(decoding: data, as: UTF8.self)
            }
            #expect(first == "data: first\n\n")
            // A suspended connection cannot see the disconnect; heartbeats reveal it.
            try await within(5, "writer to observe the disconnect (round \(round))") {
                while true {
                    do {
                        try await writer.write(": heartbeat\n\n")
                    } catch {
                        #expect(error as? HTTPStreamError == .closed)
                        return
                    }
                    try await Task.sleep(for: .milliseconds(2))
                }
            }
            #expect(writer.isClosed)
            try await within(5, "closed() to return") { await writer.closed() }
            #expect(closeCalls.value == 1)
            #expect(!writer.tryWrite([1]))
        }
        try await eventually(5, "streams to be released") { server.core.activeWork.streams == 0 }
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func chunkedStreamKeepsTheConnectionReusable() async throws {
        let server = try startServer { request in
            if request.path == "/plain" { return .text("plain") }
            let (source, writer) = HTTPStreamSource.makeStream()
            Task {
                for line in ["[", "1,", "2", "]"] { try await writer.write(line) }
                writer.finish()
            }
            return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: .stream(source))
        }
        let port = server.port
        let (streamed, plain) = try await offload {
            let connection = try RawHTTPConnection(port: port)
            let streamed = try connection.request("GET", "/stream")
            let plain = try connection.request("GET", "/plain")
            return (streamed, plain)
        }
        #expect(streamed.head.isChunked)
        #expect(streamed.header("content-length") == nil)
        #expect(streamed.text == "[1,2]")
        #expect(plain.text == "plain")
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func http10ClientGetsAStreamDelimitedByConnectionClose() async throws {
        let writers = Mailbox<HTTPStreamWriter>()
        let server = try startStreamServer(writers: writers)
        let port = server.port
        let acknowledgements = Mailbox<Int>()
        let client = Task {
            try await offload { () -> (ResponseHead, String) in
                let connection = try RawHTTPConnection(port: port)
                try connection.send("GET /events HTTP/1.0\r\n\r\n")
                let head = try connection.readHead()
                var events = 0
                repeat {
                    // Bytes may have arrived with the head: look before reading more.
                    let text = String(decoding: try connection.readAvailable(), as: UTF8.self)
                    let complete = text.components(separatedBy: "\n\n").count - 1
                    while events < complete {
                        acknowledgements.put(events)
                        events += 1
                    }
                } while try events < 3 && connection.fill()
                // readAvailable did not consume: this is the whole body.
                return (head, String(decoding: try connection.readToEnd(), as: UTF8.self))
            }
        }
        let writer = try await writers.take()
        for id in 0..<3 {
            try await writer.write("data: \(id)\n\n")
            let seen = try await acknowledgements.take(timeout: 10, "event \(id)")
            #expect(seen == id)
        }
        writer.finish()
        let (head, body) = try await client.value
        #expect(head.status == 200)
        #expect(!head.isChunked)
        #expect(body == "data: 0\n\ndata: 1\n\ndata: 2\n\n")
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func abortedStreamEndsWithoutTheFinalChunk() async throws {
        let writers = Mailbox<HTTPStreamWriter>()
        let server = try startStreamServer(writers: writers)
        let port = server.port
        let connection = try await offload { () -> SendableBox<RawHTTPConnection> in
            let connection = try RawHTTPConnection(port: port)
            try connection.sendRequest("GET", "/dump")
            return SendableBox(connection)
        }
        let writer = try await writers.take()
        try await writer.write("[{\"row\":1},")
        let first = try await offload { () -> String in
            _ = try connection.value.readHead()
            return String(decoding: try connection.value.readChunk() ?? [], as: UTF8.self)
        }
        #expect(first == "[{\"row\":1},")
        writer.abort()
        // The client must not mistake the short body for a complete one.
        await #expect(throws: TestClientError.self) { try await offload { try connection.value.readChunk() } }
        try await within(5, "the aborted stream to close") { await writer.closed() }
        await #expect(throws: HTTPStreamError.closed) { try await writer.write([1]) }
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func tryWriteRefusesWhenTheQueueIsFull() async throws {
        let (_, writer) = HTTPStreamSource.makeStream(highWaterMark: 1000)
        #expect(writer.tryWrite([UInt8](repeating: 1, count: 1500)), "an empty queue takes one chunk of any size")
        #expect(!writer.tryWrite([1]))
        let (_, second) = HTTPStreamSource.makeStream(highWaterMark: 1000)
        #expect(second.tryWrite([UInt8](repeating: 1, count: 600)))
        #expect(second.tryWrite([UInt8](repeating: 1, count: 400)))
        #expect(!second.tryWrite([1]))
        #expect(second.queuedBytes == 1000)
        second.finish()
        #expect(!second.tryWrite([1]))
        await #expect(throws: HTTPStreamError.closed) { try await second.write([1]) }
    }

    @Test func blockedWriteHonoursCancellationAndClosure() async throws {
        let (source, writer) = HTTPStreamSource.makeStream(highWaterMark: 10)
        try await writer.write([UInt8](repeating: 0, count: 11))
        let blocked = Task { try await writer.write([1]) }
        try await eventually(5, "the write to wait") { writer.core.backpressureWaits == 1 }
        blocked.cancel()
        await #expect(throws: CancellationError.self) { try await blocked.value }
        let waiting = Task { try await writer.write([1]) }
        try await eventually(5, "the second write to wait") { writer.core.backpressureWaits == 2 }
        source.core.close()  // what the server does when the client goes away
        await #expect(throws: HTTPStreamError.closed) { try await waiting.value }
        #expect(writer.isClosed)
    }
}
