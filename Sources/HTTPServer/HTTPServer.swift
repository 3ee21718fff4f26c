import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An HTTP/1.1 server on libmicrohttpd: one internal epoll polling thread (or a
/// pool) parses requests; an ``HTTPHandler`` runs in its own Swift task while its
/// connection is suspended, so slow handlers never block the polling thread, and an
/// ``HTTPResponderHandler`` answers from wherever its work completes.
///
/// libmicrohttpd was chosen on measurement (see the design notes): it serves
/// plain requests with a few microseconds of CPU and fans events out to many
/// SSE clients with suspend/resume. This type owns the daemon's lifecycle:
/// ``start()`` binds and serves, ``shutdown(gracePeriod:)`` drains and stops.
public final class HTTPServer: Sendable {
    /// The configuration the server was created with.
    public let configuration: HTTPServerConfiguration
    let core: ServerCore
    private let lifecycle = Mutex(Lifecycle.created)

    private enum Lifecycle {
        case created
        case running(Running)
        case stopping
        case stopped
    }

    private struct Running: Sendable {
        let daemon: DaemonRef
        /// The daemon's retain of `core`, released after `MHD_stop_daemon`.
        let retainedCore: Unmanaged<ServerCore>
        let strings: OwnedCStrings
    }

    /// The port actually bound (after ``start()``), else the configured one.
    private let boundPort: Atomic<UInt16>

    /// Creates a server; nothing is bound until ``start()``.
    /// - Throws: ``HTTPServerError`` when the configuration is invalid, so
    ///   mistakes surface before any socket is opened.
    public convenience init(
        configuration: HTTPServerConfiguration,
        logger: Logger = Logger(label: "vpp-gateway.http"),
        handler: @escaping HTTPHandler
    ) throws {
        try self.init(configuration: configuration, logger: logger, responder: { request, responder in
            Task { responder.respond(await handler(request)) }
        })
    }

    /// Creates a server whose handler answers through an ``HTTPResponder`` (see
    /// ``HTTPResponderHandler``): no task per request, for callback-driven handlers.
    /// - Throws: ``HTTPServerError`` when the configuration is invalid.
    public init(
        configuration: HTTPServerConfiguration,
        logger: Logger = Logger(label: "vpp-gateway.http"),
        responder handler: @escaping HTTPResponderHandler
    ) throws {
        try configuration.validate()
        _ = try BindAddress(host: configuration.host, port: configuration.port)
        self.configuration = configuration
        self.core = ServerCore(configuration: configuration, logger: logger, handler: handler)
        self.boundPort = Atomic(configuration.port)
    }

    /// Binds the listening socket and starts serving on libmicrohttpd's thread.
    /// Returns once the socket is listening, so a client may connect right away.
    /// - Throws: ``HTTPServerError/startFailed(_:)`` (address in use, bad TLS
    ///   material) or ``HTTPServerError/alreadyStarted``.
    public func start() throws {
        try lifecycle.withLock { (lifecycle: inout Lifecycle) throws(HTTPServerError) in
            guard case .created = lifecycle else { throw .alreadyStarted }
            let retained = Unmanaged.passRetained(core)
            let strings = OwnedCStrings()
            let daemon: DaemonRef
            do throws(HTTPServerError) {
                daemon = try MHDBridge.start(core: core, cls: retained.toOpaque(), strings: strings)
            } catch {
                retained.release()
                throw error
            }
            boundPort.store(MHDBridge.port(of: daemon), ordering: .sequentiallyConsistent)
            lifecycle = .running(Running(daemon: daemon, retainedCore: retained, strings: strings))
        }
        core.logger.info("HTTP server listening on \(configuration.host) port \(port)\(configuration.tls == nil ? "" : " (TLS)")")
    }

    /// The bound TCP port once started (the real one when configured with 0).
    public var port: UInt16 { boundPort.load(ordering: .sequentiallyConsistent) }

    /// Stops the server gracefully: no new connections (they are closed as soon
    /// as accepted) or requests (requests on open keep-alive connections get 503), every open stream is finished (its
    /// writer sees ``HTTPStreamError/closed``, queued bytes still go out), and
    /// in-flight handlers may complete — for at most `gracePeriod`. Then waiting
    /// requests get 503, streams are cut, and the daemon stops. Safe to call more
    /// than once or before ``start()``; returns when the server has stopped.
    public func shutdown(gracePeriod: Duration = .seconds(10)) async {
        let running: Running? = lifecycle.withLock { lifecycle in
            switch lifecycle {
            case .running(let running):
                lifecycle = .stopping
                return running
            case .created:
                lifecycle = .stopped
                return nil
            case .stopping, .stopped:
                return nil
            }
        }
        guard let running else {
            await waitUntilStopped()
            return
        }
        core.beginShutdown()
        // The last part of the grace period is kept for delivering the forced
        // 503s: libmicrohttpd sends nothing more once the daemon is stopping.
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: gracePeriod)
        let forceWindow = min(gracePeriod / 5, .milliseconds(250))
        await waitForActiveWork(until: deadline - forceWindow)
        let unfinished = core.activeWork
        if unfinished.requests > 0 || unfinished.streams > 0 {
            core.logger.notice("shutdown grace period over: ending \(unfinished.requests) requests and \(unfinished.streams) streams")
            core.forceEnd()
            await waitForActiveWork(until: deadline)
        }
        core.forceEnd()
        while core.pendingResumes > 0 { await Task.yield() }
        stop(running)
        core.logger.info("HTTP server stopped")
    }

    /// Waits until no handler runs and no stream is open, or until `deadline`
    /// (or cancellation: a cancelled shutdown stops at once).
    private func waitForActiveWork(until deadline: ContinuousClock.Instant) async {
        while ContinuousClock.now < deadline && !Task.isCancelled {
            let work = core.activeWork
            if work.requests == 0 && work.streams == 0 { return }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Ends everything at once and stops the daemon; the order matters: after
    /// `forceEnd` nothing suspends again, and once the pending resumes are done
    /// no connection is suspended, which `MHD_stop_daemon` requires.
    private func stop(_ running: Running) {
        MHDBridge.stop(running.daemon)
        core.flusher?.stop()
        running.retainedCore.release()
        lifecycle.withLock { $0 = .stopped }
    }

    private func waitUntilStopped() async {
        while true {
            let stopped = lifecycle.withLock { lifecycle in
                if case .stopped = lifecycle { return true }
                return false
            }
            if stopped { return }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// A server dropped while running stops at once (no grace period) rather
    /// than leaking its thread and socket.
    deinit {
        let running: Running? = lifecycle.withLock { lifecycle in
            guard case .running(let running) = lifecycle else { return nil }
            lifecycle = .stopping
            return running
        }
        guard let running else { return }
        core.logger.warning("HTTPServer released while running; stopping without a grace period")
        core.beginShutdown()
        core.forceEnd()
        while core.pendingResumes > 0 { sched_yield() }
        MHDBridge.stop(running.daemon)
        core.flusher?.stop()
        running.retainedCore.release()
    }
}
