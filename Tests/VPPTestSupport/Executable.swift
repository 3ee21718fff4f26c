import Foundation

/// Runs the built `vpp-gateway` binary (it sits beside the test bundle in the build folder).
public enum GatewayExecutable {
    /// The binary's path.
    public static var path: String {
        let bundle = Bundle.main.bundleURL
        for dir in [bundle.deletingLastPathComponent(), bundle, URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()] {
            let candidate = dir.appendingPathComponent("vpp-gateway").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return bundle.deletingLastPathComponent().appendingPathComponent("vpp-gateway").path
    }

    /// The outcome of one run.
    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs the binary with `arguments`, feeding `input` on standard input, with `environment`
    /// added to (and `VPP_GATEWAY_*` variables of the test's own environment removed from) the
    /// inherited environment.
    public static func run(_ arguments: [String], input: String? = nil, environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("VPP_GATEWAY_") || $0.key == "VPP_GATEWAY_SHARED" }
        env.merge(environment) { _, new in new }
        process.environment = env
        let out = Pipe(), err = Pipe(), inPipe = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = inPipe
        try process.run()
        if let input { inPipe.fileHandleForWriting.write(Data(input.utf8)) }
        try inPipe.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
    }
}
