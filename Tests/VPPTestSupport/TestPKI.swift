import Foundation

/// Certificates made with the `openssl` command line for one test: a CA, a
/// server certificate for 127.0.0.1 and a client certificate, plus a client
/// certificate from an unrelated CA.
public struct TestPKI: Sendable {
    /// True when the `openssl` and `curl` command-line tools are installed.
    public static let toolsAvailable = ["/usr/bin/openssl", "/usr/bin/curl"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

    /// The folder holding the keys and certificates.
    public let directory: URL

    /// Makes a CA, a server certificate for 127.0.0.1, a client certificate, and an unrelated CA with its own client.
    public init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("httpserver-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try makeCA("ca", subject: "/CN=VPP Gateway Test CA")
        try makeLeaf("server", ca: "ca", subject: "/CN=127.0.0.1",
                     extensions: "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
        try makeLeaf("client", ca: "ca", subject: "/O=VPP Gateway Tests/CN=test-client",
                     extensions: "extendedKeyUsage=clientAuth\n")
        try makeCA("other-ca", subject: "/CN=Unrelated CA")
        try makeLeaf("intruder", ca: "other-ca", subject: "/CN=intruder",
                     extensions: "extendedKeyUsage=clientAuth\n")
    }

    /// The path of one file (`ca.pem`, `server.key`, …).
    public func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// The contents of one file.
    public func read(_ name: String) throws -> String {
        try String(contentsOfFile: path(name), encoding: .utf8)
    }

    /// Deletes the folder.
    public func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    private func makeCA(_ name: String, subject: String) throws {
        try run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", path("\(name).key"), "-out", path("\(name).pem"), "-days", "2", "-subj", subject)
    }

    private func makeLeaf(_ name: String, ca: String, subject: String, extensions: String) throws {
        try run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", subject)
        try ("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n" + extensions)
            .write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
        try run("openssl", "x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(ca).pem"),
                "-CAkey", path("\(ca).key"), "-CAcreateserial", "-out", path("\(name).pem"), "-days", "2",
                "-extfile", path("\(name).ext"))
    }

    @discardableResult
    private func run(_ arguments: String...) throws -> String {
        let result = try runProcess(arguments)
        guard result.status == 0 else {
            throw TestClientError.system("\(arguments.joined(separator: " ")) failed: \(result.output)")
        }
        return result.output
    }
}

/// Runs a command (found on PATH), returning its exit status and output.
public func runProcess(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

