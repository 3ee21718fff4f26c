import CMicroHTTPD
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Every libmicrohttpd call and every C callback lives in this file. Callbacks
// are `@convention(c)` and capture nothing: their state travels through the
// `cls` / request pointers as `Unmanaged` references:
// - daemon `cls`: one retain of `ServerCore`, released by `HTTPServer` after
//   `MHD_stop_daemon` (no callback can run after it returns);
// - request pointer: one retain of `RequestContext`, taken in the URI-log
//   callback and released in the completed callback (libmicrohttpd calls it
//   for every request the URI-log callback saw, including failed ones);
// - stream response `cls`: one retain of `StreamCore`, released in the
//   response's free callback (called exactly once, when the response dies).

/// A libmicrohttpd connection handle that may travel to the handler's task.
/// `@unchecked Sendable` because it is only an address: it is dereferenced by
/// libmicrohttpd calls made while ``RequestContext``/``StreamCore`` prove the
/// connection alive (on its own thread, or while it is suspended — libmicrohttpd
/// never frees a suspended connection).
struct ConnectionRef: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// A running daemon. `@unchecked Sendable`: only `HTTPServer` uses it, under its
/// mutex, and libmicrohttpd's daemon functions used here are thread-safe.
struct DaemonRef: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// C strings handed to libmicrohttpd (TLS PEMs), freed only after the daemon
/// stopped. `@unchecked Sendable`: immutable after init.
final class OwnedCStrings: @unchecked Sendable {
    private var pointers: [UnsafeMutablePointer<CChar>] = []

    func add(_ string: String) -> UnsafeMutablePointer<CChar>? {
        guard let pointer = strdup(string) else { return nil }
        pointers.append(pointer)
        return pointer
    }

    deinit {
        for pointer in pointers { free(pointer) }
    }
}

enum MHDBridge {
    static let contentReaderEndOfStream = -1  // MHD_CONTENT_READER_END_OF_STREAM
    static let contentReaderError = -2        // MHD_CONTENT_READER_END_WITH_ERROR
    /// Takes the connection out of libmicrohttpd's polling until ``resume(_:)``: while a
    /// handler waits for VPP or a stream waits for data, libmicrohttpd neither reads,
    /// writes, times out nor frees it.
    static func suspend(_ connection: ConnectionRef) {
        MHD_suspend_connection(connection.pointer)
    }

    /// Hands a suspended connection back to libmicrohttpd (thread-safe: it wakes the
    /// connection's polling thread).
    static func resume(_ connection: ConnectionRef) {
        MHD_resume_connection(connection.pointer)
    }

    // MARK: daemon lifecycle

    /// Starts the daemon: one internal epoll thread (or a pool), suspend/resume
    /// enabled, every option passed through one `MHD_OPTION_ARRAY`.
    static func start(core: ServerCore, cls: UnsafeMutableRawPointer, strings: OwnedCStrings) throws(HTTPServerError) -> DaemonRef {
        let configuration = core.configuration
        let address = try BindAddress(host: configuration.host, port: configuration.port)
        var flags = MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue
            | MHD_ALLOW_SUSPEND_RESUME.rawValue | MHD_USE_ITC.rawValue | MHD_USE_ERROR_LOG.rawValue
        if address.isAllInterfacesIPv6 {
            flags |= MHD_USE_DUAL_STACK.rawValue
        } else if address.isIPv6 {
            flags |= MHD_USE_IPv6.rawValue
        }
        var options: [MHD_OptionItem] = [
            MHD_OptionItem(option: .CONNECTION_LIMIT, value: configuration.connectionLimit, ptr_value: nil),
            MHD_OptionItem(option: .CONNECTION_MEMORY_LIMIT, value: configuration.connectionMemoryLimit, ptr_value: nil),
            MHD_OptionItem(option: .CONNECTION_TIMEOUT, value: configuration.connectionTimeout, ptr_value: nil),
            MHD_OptionItem(option: .NOTIFY_COMPLETED, value: completedCallbackAddress, ptr_value: cls),
            MHD_OptionItem(option: .URI_LOG_CALLBACK, value: uriLogCallbackAddress, ptr_value: cls),
            MHD_OptionItem(option: .EXTERNAL_LOGGER, value: logCallbackAddress, ptr_value: cls),
            // Strict parsing: whitespace before a header's colon and other sloppiness that
            // proxies and servers read differently are errors (request smuggling).
            MHD_OptionItem(option: .STRICT_FOR_CLIENT, value: 1, ptr_value: nil),
        ]
        if configuration.perIPConnectionLimit > 0 {
            options.append(MHD_OptionItem(option: .PER_IP_CONNECTION_LIMIT, value: configuration.perIPConnectionLimit, ptr_value: nil))
        }
        if configuration.threadPoolSize > 0 {
            options.append(MHD_OptionItem(option: .THREAD_POOL_SIZE, value: configuration.threadPoolSize, ptr_value: nil))
        }
        if let tls = configuration.tls {
            guard MHD_is_feature_supported(.FEATURE_TLS) == .YES else {
                throw .startFailed("this libmicrohttpd was built without TLS support")
            }
            flags |= MHD_USE_TLS.rawValue
            options.append(MHD_OptionItem(option: .HTTPS_MEM_KEY, value: 0, ptr_value: UnsafeMutableRawPointer(strings.add(tls.privateKeyPEM))))
            options.append(MHD_OptionItem(option: .HTTPS_MEM_CERT, value: 0, ptr_value: UnsafeMutableRawPointer(strings.add(tls.certificatePEM))))
            if let clientCA = tls.clientCAPEM {
                options.append(MHD_OptionItem(option: .HTTPS_MEM_TRUST, value: 0, ptr_value: UnsafeMutableRawPointer(strings.add(clientCA))))
            }
        }
        let daemon = address.withSockaddr { sockaddr -> OpaquePointer? in
            options.append(MHD_OptionItem(option: .SOCK_ADDR, value: 0, ptr_value: sockaddr))
            options.append(MHD_OptionItem(option: .END, value: 0, ptr_value: nil))
            return options.withUnsafeBufferPointer { buffer in
                vppgw_start_daemon(flags, configuration.port, acceptPolicyCallback, cls, accessCallback, cls, buffer.baseAddress)
            }
        }
        guard let daemon else {
            let detail = core.lastLibraryMessage
            throw .startFailed(detail.isEmpty ? "could not listen on \(configuration.host):\(configuration.port)" : detail)
        }
        if MHD_is_feature_supported(.FEATURE_AUTOSUPPRESS_SIGPIPE) != .YES {
            core.logger.warning("libmicrohttpd does not suppress SIGPIPE here; ignore SIGPIPE in the process")
        }
        return DaemonRef(pointer: daemon)
    }

    static func port(of daemon: DaemonRef) -> UInt16 {
        vppgw_daemon_port(daemon.pointer)
    }

    /// Stops the daemon. Precondition (else libmicrohttpd aborts the process):
    /// no connection is suspended without a resume already requested.
    ///
    /// `MHD_quiesce_daemon` is deliberately not used: in 0.9.75 it removes the
    /// listening socket from the epoll set while the polling threads may do
    /// the same, and the loser calls `MHD_PANIC` ("Failed to remove listen FD
    /// from epoll set", seen with a thread pool). New connections are refused
    /// by the accept-policy callback instead, and the socket closes here.
    static func stop(_ daemon: DaemonRef) {
        MHD_stop_daemon(daemon.pointer)
    }

    // MARK: request data

    /// The request headers, names lowercased, in order.
    static func headers(of connection: ConnectionRef) -> [(name: String, value: String)] {
        let collector = HeaderCollector()
        withExtendedLifetime(collector) {
            _ = MHD_get_connection_values_n(connection.pointer, .HEADER_KIND, headerIterator,
                                            Unmanaged.passUnretained(collector).toOpaque())
        }
        return collector.headers
    }

    static func peer(of connection: ConnectionRef) -> (address: String, port: UInt16) {
        guard let address = vppgw_client_address(connection.pointer) else { return ("", 0) }
        return formatPeer(address)
    }

    enum ClientCertificate {
        case verified(subject: String)
        case missing
        case invalid
    }

    static func verifiedClientSubject(of connection: ConnectionRef) -> ClientCertificate {
        var buffer = [CChar](repeating: 0, count: 1024)
        let result = vppgw_verify_client_certificate(connection.pointer, &buffer, buffer.count)
        switch result {
        case 1:
            let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            return .verified(subject: String(decoding: bytes, as: UTF8.self))
        case 0: return .missing
        default: return .invalid
        }
    }

    // MARK: responses

    /// Creates the libmicrohttpd response for `response` and queues it; must run
    /// on the connection's polling thread (inside the access handler). Bytes are
    /// copied (libmicrohttpd adds `Content-Length`); streams become a content
    /// reader with unknown size (chunked under HTTP/1.1).
    static func queue(_ response: HTTPResponse, on connection: ConnectionRef, server: ServerCore) -> Bool {
        var stream: StreamCore?
        let created: OpaquePointer?
        switch response.body {
        case .bytes(let bytes):
            created = bytes.withUnsafeBytes { buffer in
                MHD_create_response_from_buffer(buffer.count, UnsafeMutableRawPointer(mutating: buffer.baseAddress),
                                                .RESPMEM_MUST_COPY)
            }
        case .stream(let source):
            let retained = Unmanaged.passRetained(source.core)
            created = MHD_create_response_from_callback(UInt64.max, source.core.blockSize, contentReaderCallback,
                                                        retained.toOpaque(), contentReaderFreeCallback)
            if created == nil {
                retained.release()
                source.core.close()
            } else {
                stream = source.core
            }
        }
        guard let created else { return false }
        for (name, value) in response.headers {
            let lowered = asciiLowercased(name)
            if lowered == "content-length" || lowered == "transfer-encoding" { continue }
            if MHD_add_response_header(created, name, value) != .YES {
                server.logger.warning("dropped invalid response header '\(name)'")
            }
        }
        // The flusher may send to the socket itself only when the bytes go out as they are.
        var direct = false
        if let stream, stream.endsWithConnection {
            direct = vppgw_response_ends_with_connection(created) == 1 && server.flusher != nil
        }
        stream?.attach(connection: connection, server: server,
                       socket: direct ? vppgw_connection_fd(connection.pointer) : -1)
        let queued = MHD_queue_response(connection.pointer, UInt32(response.status), created)
        MHD_destroy_response(created)  // the connection holds its own reference
        return queued == .YES
    }
}

// MARK: - C callbacks

private let completedCallbackAddress: Int = {
    let callback: MHD_RequestCompletedCallback = completedCallback
    return unsafeBitCast(callback, to: Int.self)
}()

private let uriLogCallbackAddress: Int = {
    let callback: @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, OpaquePointer?) -> UnsafeMutableRawPointer? = uriLogCallback
    return unsafeBitCast(callback, to: Int.self)
}()

private let logCallbackAddress: Int = {
    let callback: MHD_LogCallback = logCallback
    return unsafeBitCast(callback, to: Int.self)
}()

/// Every accepted TCP connection: refused (closed at once) once shutdown began.
private func acceptPolicyCallback(_ cls: UnsafeMutableRawPointer?, _ address: UnsafePointer<sockaddr>?, _ length: socklen_t) -> MHD_Result {
    guard let cls else { return .NO }
    return Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue().acceptsConnections ? .YES : .NO
}

/// Start of every request: create its context from the raw request target.
private func uriLogCallback(_ cls: UnsafeMutableRawPointer?, _ uri: UnsafePointer<CChar>?, _ connection: OpaquePointer?) -> UnsafeMutableRawPointer? {
    let target = uri.map { String(cString: $0) } ?? "/"
    return Unmanaged.passRetained(RequestContext(target: target)).toOpaque()
}

private func accessCallback(
    _ cls: UnsafeMutableRawPointer?,
    _ connection: OpaquePointer?,
    _ url: UnsafePointer<CChar>?,
    _ method: UnsafePointer<CChar>?,
    _ version: UnsafePointer<CChar>?,
    _ uploadData: UnsafePointer<CChar>?,
    _ uploadDataSize: UnsafeMutablePointer<Int>?,
    _ requestPointer: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> MHD_Result {
    guard let cls, let connection, let uploadDataSize, let requestPointer, let raw = requestPointer.pointee else {
        return .NO
    }
    let core = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()
    let context = Unmanaged<RequestContext>.fromOpaque(raw).takeUnretainedValue()
    let upload = UnsafeRawBufferPointer(start: uploadData, count: uploadData == nil ? 0 : uploadDataSize.pointee)
    let handled = core.handleAccess(
        context, connection: ConnectionRef(pointer: connection),
        method: { method.map { String(cString: $0) } ?? "" },
        version: { version.map { String(cString: $0) } ?? "" },
        upload: upload, uploadSize: uploadDataSize)
    return handled ? .YES : .NO
}

private func completedCallback(
    _ cls: UnsafeMutableRawPointer?,
    _ connection: OpaquePointer?,
    _ requestPointer: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ termination: MHD_RequestTerminationCode
) {
    guard let cls, let requestPointer, let raw = requestPointer.pointee else { return }
    requestPointer.pointee = nil
    let core = Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue()
    let context = Unmanaged<RequestContext>.fromOpaque(raw).takeRetainedValue()
    context.markCompleted()
    core.unregisterRequest(context)
}

private func contentReaderCallback(_ cls: UnsafeMutableRawPointer?, _ position: UInt64, _ buffer: UnsafeMutablePointer<CChar>?, _ max: Int) -> Int {
    guard let cls, let buffer else { return MHDBridge.contentReaderError }
    let stream = Unmanaged<StreamCore>.fromOpaque(cls).takeUnretainedValue()
    return stream.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: max))
}

private func contentReaderFreeCallback(_ cls: UnsafeMutableRawPointer?) {
    guard let cls else { return }
    Unmanaged<StreamCore>.fromOpaque(cls).takeRetainedValue().close()
}

/// libmicrohttpd's own diagnostics (bind errors, TLS handshake failures, …).
private func logCallback(_ cls: UnsafeMutableRawPointer?, _ format: UnsafePointer<CChar>?, _ arguments: CVaListPointer?) {
    guard let cls, let format, let arguments else { return }
    var buffer = [CChar](repeating: 0, count: 512)
    _ = vsnprintf(&buffer, buffer.count, format, arguments)
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    let message = String(decoding: bytes, as: UTF8.self).trimmingASCIISpaces.replacing("\n", with: " ")
    Unmanaged<ServerCore>.fromOpaque(cls).takeUnretainedValue().noteLibraryMessage(String(message))
}

/// Collects headers during one synchronous `MHD_get_connection_values_n` call.
private final class HeaderCollector {
    var headers: [(name: String, value: String)] = []
}

private func headerIterator(
    _ cls: UnsafeMutableRawPointer?, _ kind: MHD_ValueKind,
    _ key: UnsafePointer<CChar>?, _ keySize: Int,
    _ value: UnsafePointer<CChar>?, _ valueSize: Int
) -> MHD_Result {
    guard let cls, let key else { return .YES }
    let collector = Unmanaged<HeaderCollector>.fromOpaque(cls).takeUnretainedValue()
    let name = UnsafeRawBufferPointer(start: key, count: keySize).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
    let text = value.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: valueSize), as: UTF8.self) } ?? ""
    collector.headers.append((name: String(decoding: name, as: UTF8.self), value: text))
    return .YES
}
