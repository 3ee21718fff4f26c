/// The server side of a streamed response body: put it in
/// ``HTTPResponse/body`` as `.stream(source)` and produce the bytes through its
/// ``writer`` (usually from a task the handler starts).
///
/// Streams carry long JSON-array dumps, NDJSON and Server-Sent Events. The queue
/// between writer and socket is bounded by `highWaterMark`, so a slow client
/// slows the producer down instead of growing memory.
///
/// ```swift
/// let (source, writer) = HTTPStreamSource.makeStream()
/// Task {
///     for row in rows { try await writer.write(row) }
///     writer.finish()
/// }
/// return HTTPResponse(status: 200, headers: [("Content-Type", "application/x-ndjson")], body: .stream(source))
/// ```
public struct HTTPStreamSource: Sendable {
    let core: StreamCore

    /// Creates a stream whose queue holds at most about `highWaterMark` bytes
    /// not yet taken by the socket (`write` waits above it, `tryWrite` refuses).
    ///
    /// `blockSize` is the most libmicrohttpd takes per read; it costs that much memory per open
    /// stream, so thousands of long-lived SSE streams want a small one, a bulk dump a large one.
    ///
    /// `endsWithConnection` suits streams that last as long as the connection (Server-Sent
    /// Events): the body is sent as it is, without chunked framing, and ends when the
    /// connection closes (`Connection: close`, still HTTP/1.1). That lets the server send
    /// each write straight to the socket from a writer thread instead of waking
    /// libmicrohttpd's polling thread for it (``HTTPServerConfiguration/streamWriterThreads``).
    /// A client cannot tell a finished body from a broken connection, so keep it for streams
    /// that have no natural end.
    public init(highWaterMark: Int = 64 * 1024, blockSize: Int = 8 * 1024, endsWithConnection: Bool = false) {
        core = StreamCore(highWaterMark: max(1, highWaterMark), blockSize: max(256, blockSize),
                          endsWithConnection: endsWithConnection)
    }

    /// The producer's handle to this stream.
    public var writer: HTTPStreamWriter { HTTPStreamWriter(core: core) }

    /// A new stream and its writer, for the common "create, return source,
    /// keep writer" pattern.
    public static func makeStream(highWaterMark: Int = 64 * 1024, blockSize: Int = 8 * 1024,
                                  endsWithConnection: Bool = false) -> (source: HTTPStreamSource, writer: HTTPStreamWriter) {
        let source = HTTPStreamSource(highWaterMark: highWaterMark, blockSize: blockSize, endsWithConnection: endsWithConnection)
        return (source, source.writer)
    }
}

/// Produces the bytes of a streamed response. Copies share one stream, so the
/// writer can be handed to whichever task produces the data.
///
/// Closure: once the client disconnects, the response completes, or the server
/// shuts down, the stream is *closed*: writes throw ``HTTPStreamError/closed``,
/// ``isClosed`` turns true and ``onClose(_:)`` handlers run. A connection that
/// waits for data cannot notice a disconnect by itself, so long-lived producers
/// (SSE) must write periodically (heartbeats) to learn that the client left.
public struct HTTPStreamWriter: Sendable {
    let core: StreamCore

    /// The queue bound this stream was created with.
    public var highWaterMark: Int { core.highWaterMark }

    /// Appends `bytes` to the body. Waits (without blocking a thread) while more
    /// than ``highWaterMark`` bytes are queued, so a slow reader bounds memory.
    /// Intended for one producer at a time.
    /// - Throws: ``HTTPStreamError/closed`` once the stream is closed or
    ///   finished; `CancellationError` if the waiting task is cancelled.
    public func write(_ bytes: [UInt8]) async throws {
        try await core.write(bytes)
    }

    /// Appends the UTF-8 bytes of `text`; see ``write(_:)-([UInt8])``.
    public func write(_ text: String) async throws {
        try await core.write(Array(text.utf8))
    }

    /// Appends `bytes` without waiting, for producers that must not block (an
    /// SSE fan-out). Returns `false` when the queue would exceed
    /// ``highWaterMark`` (the caller decides how to signal the overflow) or the
    /// stream is closed or finished. An empty queue always takes one chunk.
    @discardableResult
    public func tryWrite(_ bytes: [UInt8]) -> Bool {
        core.tryWrite(bytes)
    }

    /// Ends the body once the queued bytes are sent (the chunked terminator, or the
    /// connection's close for a stream that ends with it).
    /// Idempotent; later writes throw.
    public func finish() {
        core.finish()
    }

    /// Ends the body abnormally: the connection is closed without the final chunk, so the
    /// client sees a broken response. For failures after the status line was sent (a dump
    /// that fails halfway), where finishing would pass a short body off as complete.
    public func abort() {
        core.end(aborting: true)
    }

    /// Whether the stream is closed: client gone, body completed, or server shut
    /// down. Producers poll this to stop early.
    public var isClosed: Bool { core.isClosed }

    /// Bytes queued and not yet taken by the socket.
    public var queuedBytes: Int { core.queuedBytes }

    /// Runs `handler` once when the stream closes (at once if it already has),
    /// on whichever thread closes it; keep it short. Used to unsubscribe SSE
    /// clients promptly.
    public func onClose(_ handler: @escaping @Sendable () -> Void) {
        core.onClose(handler)
    }

    /// Returns when the stream has closed and its ``onClose(_:)`` handlers have
    /// run, or when the calling task is cancelled.
    public func closed() async {
        await core.waitClosed()
    }
}

/// Why a stream write failed.
public enum HTTPStreamError: Error, Sendable, Equatable {
    /// The stream no longer takes bytes: the client disconnected, the body was
    /// finished, or the server is shutting down.
    case closed
}
