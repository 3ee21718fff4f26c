import Foundation
import Logging
import VPPCodec
import VPPSchema
import VPPSimulator
import VPPTestSupport

/// Starts simulators on temporary sockets for tests.
enum Fixture {
    /// The 26.06 set plus the GTP-U testgovpp plugin, loaded once.
    static let folders = [SharedData.api2606, SharedData.testgovpp]

    static func socketPath() -> String {
        "/tmp/vppsim-\(UUID().uuidString.prefix(8)).sock"
    }

    /// A started simulator; the caller stops it (prefer `with`).
    static func start(folders: [String]? = Fixture.folders, interfaces: Int = 2,
                      configure: (inout SimulatorConfiguration) -> Void = { _ in }) throws -> VPPSimulator {
        var config = SimulatorConfiguration(socketPath: socketPath(), apiDirectories: folders ?? [], interfaces: interfaces)
        configure(&config)
        var logger = Logger(label: "vpp-simulator-test")
        logger.logLevel = .critical
        let sim = try VPPSimulator(configuration: config, logger: logger)
        try sim.start()
        return sim
    }

    /// Runs `body` with a started simulator and stops it afterwards, also when `body` throws.
    static func with(folders: [String]? = Fixture.folders, interfaces: Int = 2,
                     configure: (inout SimulatorConfiguration) -> Void = { _ in },
                     _ body: (VPPSimulator) async throws -> Void) async throws {
        let sim = try start(folders: folders, interfaces: interfaces, configure: configure)
        do {
            try await body(sim)
        } catch {
            await sim.stop()
            throw error
        }
        await sim.stop()
    }

    /// A client that completed the handshake.
    static func client(_ sim: VPPSimulator, name: String = "test") throws -> RawClient {
        let c = try RawClient(path: sim.socketPath, codec: codec(for: sim))
        try c.handshake(name: name)
        return c
    }

    private static let codecs = CodecCache()

    static func codec(for sim: VPPSimulator) -> Codec {
        codecs.codec(for: sim.schema, key: sim.configuration.apiDirectories.joined(separator: "|"))
    }
}

/// Compiling a codec for 2,000 messages takes a moment; tests share one per schema.
final class CodecCache: @unchecked Sendable {
    private let lock = NSLock()
    private var codecs: [String: Codec] = [:]

    func codec(for schema: Schema, key: String) -> Codec {
        lock.lock()
        defer { lock.unlock() }
        if let c = codecs[key] { return c }
        let c = Codec(schema: schema)
        codecs[key] = c
        return c
    }
}
