/// How an ``HTTPServer`` listens and what it tolerates from clients.
///
/// Every limit here exists because the gateway faces untrusted networks: bounded
/// connections, bounded per-connection memory (which bounds header size), bounded
/// bodies and an idle timeout (slowloris protection) keep one client from starving
/// the others. The defaults suit a gateway on a loopback or management network.
public struct HTTPServerConfiguration: Sendable {
    /// The address to bind: an IPv4 or IPv6 literal (`"0.0.0.0"` or `"::"` for all
    /// interfaces; `"::"` is dual stack). `"localhost"` means `127.0.0.1`.
    public var host: String
    /// The TCP port; `0` asks the kernel for an ephemeral port, reported afterwards
    /// by ``HTTPServer/port`` (tests and side-by-side instances use this).
    public var port: UInt16
    /// The most connections served at once (`MHD_OPTION_CONNECTION_LIMIT`).
    /// libmicrohttpd's own default (1020) is too low for many SSE subscribers.
    public var connectionLimit: Int
    /// Bytes of memory pool per connection (`MHD_OPTION_CONNECTION_MEMORY_LIMIT`).
    /// It holds the request line and headers, so it bounds header size (larger
    /// requests get 431); it also sizes the send buffer, and it is what 1,000 open
    /// SSE streams cost, so keep it small.
    public var connectionMemoryLimit: Int
    /// The largest request body accepted. A larger declared `Content-Length` is
    /// answered 413 at once, without reading the body or calling the handler.
    public var maxBodySize: Int
    /// Seconds a connection may sit idle before it is closed
    /// (`MHD_OPTION_CONNECTION_TIMEOUT`; `0` disables). Protects against slowloris.
    /// A connection suspended in a stream or an async handler does not time out.
    public var connectionTimeout: Int
    /// The most simultaneous connections from one IP address; `0` means unlimited
    /// (`MHD_OPTION_PER_IP_CONNECTION_LIMIT`).
    public var perIPConnectionLimit: Int
    /// Serve HTTPS when set; with a client CA, require mutual TLS.
    public var tls: TLSConfiguration?
    /// Polling threads: `0` runs one internal epoll thread; `n > 0` runs a pool of `n`, each
    /// with its own connections (somewhat more request throughput when cores are free; streams
    /// that end with the connection are sent by ``streamWriterThreads`` either way).
    public var threadPoolSize: Int
    /// Threads that send the bytes of long-lived streams (Server-Sent Events) straight to
    /// their sockets while libmicrohttpd keeps the connections suspended: a fan-out to
    /// thousands of streams then costs one `send` each, not a resume and a turn of
    /// libmicrohttpd's state machine on the polling thread. `0` leaves every byte to
    /// libmicrohttpd. Not used with TLS (the bytes must go through the TLS session).
    public var streamWriterThreads: Int

    /// Creates a configuration; every parameter has the documented default so
    /// callers name only what they change.
    public init(
        host: String = "127.0.0.1",
        port: UInt16 = 8080,
        connectionLimit: Int = 10_000,
        connectionMemoryLimit: Int = 16 * 1024,
        maxBodySize: Int = 1 << 20,
        connectionTimeout: Int = 60,
        perIPConnectionLimit: Int = 0,
        tls: TLSConfiguration? = nil,
        threadPoolSize: Int = 0,
        streamWriterThreads: Int = 1
    ) {
        self.host = host
        self.port = port
        self.connectionLimit = connectionLimit
        self.connectionMemoryLimit = connectionMemoryLimit
        self.maxBodySize = maxBodySize
        self.connectionTimeout = connectionTimeout
        self.perIPConnectionLimit = perIPConnectionLimit
        self.tls = tls
        self.threadPoolSize = threadPoolSize
        self.streamWriterThreads = streamWriterThreads
    }

    /// Rejects values libmicrohttpd would misread (it takes `unsigned int` and
    /// `size_t`), so a bad flag fails at startup instead of misbehaving later.
    func validate() throws(HTTPServerError) {
        func check(_ ok: Bool, _ message: String) throws(HTTPServerError) {
            if !ok { throw .invalidConfiguration(message) }
        }
        try check((1...Int(Int32.max)).contains(connectionLimit), "connectionLimit must be between 1 and \(Int32.max)")
        try check(connectionMemoryLimit >= 4096, "connectionMemoryLimit must be at least 4096 bytes")
        try check(maxBodySize >= 0, "maxBodySize must not be negative")
        try check((0...Int(Int32.max)).contains(connectionTimeout), "connectionTimeout must be between 0 and \(Int32.max) seconds")
        try check((0...Int(Int32.max)).contains(perIPConnectionLimit), "perIPConnectionLimit must be between 0 and \(Int32.max)")
        try check((0...1024).contains(threadPoolSize), "threadPoolSize must be between 0 and 1024")
        try check((0...64).contains(streamWriterThreads), "streamWriterThreads must be between 0 and 64")
        if let tls {
            try check(!tls.certificatePEM.isEmpty, "tls.certificatePEM is empty")
            try check(!tls.privateKeyPEM.isEmpty, "tls.privateKeyPEM is empty")
            try check(tls.clientCAPEM.map { !$0.isEmpty } ?? true, "tls.clientCAPEM is empty")
        }
    }
}

/// TLS material for HTTPS, held in memory (PEM text) so the caller decides where
/// it comes from (files, secrets store) and the server never touches the disk.
public struct TLSConfiguration: Sendable {
    /// The server certificate chain, PEM.
    public var certificatePEM: String
    /// The server private key, PEM (unencrypted).
    public var privateKeyPEM: String
    /// CA certificates, PEM, that client certificates must chain to. When set,
    /// every request must present a certificate that verifies against them
    /// (mutual TLS); requests without one are answered 403 and never reach the
    /// handler.
    public var clientCAPEM: String?

    /// Creates TLS material; pass `clientCAPEM` to require client certificates.
    public init(certificatePEM: String, privateKeyPEM: String, clientCAPEM: String? = nil) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
        self.clientCAPEM = clientCAPEM
    }
}

/// Why an ``HTTPServer`` could not be created or started.
public enum HTTPServerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A configuration value is out of range; the message names it.
    case invalidConfiguration(String)
    /// `host` is not an IPv4 or IPv6 literal.
    case invalidHost(String)
    /// ``HTTPServer/start()`` was called twice, or after shutdown.
    case alreadyStarted
    /// libmicrohttpd refused to start (port in use, bad TLS material, missing
    /// features); the message carries its last log line when there is one.
    case startFailed(String)

    /// A one-line explanation for logs and CLI errors.
    public var description: String {
        switch self {
        case .invalidConfiguration(let message): "invalid HTTP server configuration: \(message)"
        case .invalidHost(let host): "invalid listen host '\(host)': expected an IPv4 or IPv6 literal"
        case .alreadyStarted: "the HTTP server was already started"
        case .startFailed(let message): "the HTTP server failed to start: \(message)"
        }
    }
}
