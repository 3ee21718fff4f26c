import VPPTestSupport
import Foundation
import HTTPServer
import Testing

/// Certificates made with the `openssl` command line for one test: a CA, a
/// server certificate for 127.0.0.1 and a client certificate, plus a client
/// certificate from an unrelated CA.
private struct TestPKI: Sendable {
    let directory: URL

    init() throws {
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

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func read(_ name: String) throws -> String {
        try String(contentsOfFile: path(name), encoding: .utf8)
    }

    func remove() {
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
private func runProcess(_ arguments: [String]) throws -> (status: Int32, output: String) {
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

/// `curl` over HTTPS; returns the HTTP status (0 when the TLS handshake or
/// connection failed) and the body.
private func curl(port: UInt16, pki: TestPKI, certificate: String? = nil) async throws -> (status: Int, body: String) {
    var arguments = ["curl", "-sS", "--max-time", "10", "--cacert", pki.path("ca.pem"), "-w", "\n%{http_code}"]
    if let certificate {
        arguments += ["--cert", pki.path("\(certificate).pem"), "--key", pki.path("\(certificate).key")]
    }
    arguments.append("https://127.0.0.1:\(port)/whoami")
    let finalArguments = arguments
    let result = try await offload { try runProcess(finalArguments) }
    let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
    let status = lines.last.flatMap { Int($0) } ?? 0
    return (status, lines.dropLast().joined(separator: "\n"))
}

private let toolsAvailable = ["/usr/bin/openssl", "/usr/bin/curl"].allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

@Suite("TLS", .enabled(if: toolsAvailable, "needs the openssl and curl command-line tools"))
struct TLSTests {
    private static let whoami: HTTPHandler = { request in
        .text("subject=\(request.clientCertificateSubject ?? "none")")
    }

    @Test func httpsServesRequestsWithTheServerCertificate() async throws {
        let pki = try await offload { try TestPKI() }
        defer { pki.remove() }
        let tls = TLSConfiguration(certificatePEM: try pki.read("server.pem"), privateKeyPEM: try pki.read("server.key"))
        let server = try startServer({ $0.tls = tls }, handler: Self.whoami)
        let response = try await curl(port: server.port, pki: pki)
        #expect(response.status == 200)
        #expect(response.body == "subject=none")
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func mutualTLSAcceptsOnlyVerifiedClientCertificates() async throws {
        let pki = try await offload { try TestPKI() }
        defer { pki.remove() }
        let tls = TLSConfiguration(certificatePEM: try pki.read("server.pem"), privateKeyPEM: try pki.read("server.key"),
                                   clientCAPEM: try pki.read("ca.pem"))
        let calls = Counter()
        let server = try startServer({ $0.tls = tls }) { request in
            calls.increment()
            return await Self.whoami(request)
        }
        let port = server.port

        let trusted = try await curl(port: port, pki: pki, certificate: "client")
        #expect(trusted.status == 200)
        #expect(trusted.body.hasPrefix("subject="))
        #expect(trusted.body.contains("CN=test-client"))
        #expect(trusted.body.contains("O=VPP Gateway Tests"))

        let anonymous = try await curl(port: port, pki: pki)
        #expect(anonymous.status == 403)
        #expect(anonymous.body.contains("client-certificate-required"))

        let intruder = try await curl(port: port, pki: pki, certificate: "intruder")
        #expect(intruder.status == 403 || intruder.status == 0, "an untrusted client certificate must not be served")

        #expect(calls.value == 1)
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func badTLSMaterialFailsToStart() throws {
        let tls = TLSConfiguration(certificatePEM: "not a certificate", privateKeyPEM: "not a key")
        let server = try HTTPServer(configuration: HTTPServerConfiguration(port: 0, tls: tls), logger: testLogger) { _ in .text("") }
        #expect(throws: HTTPServerError.self) { try server.start() }
    }
}
