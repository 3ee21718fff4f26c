import VPPTestSupport
import Foundation
@testable import HTTPServer
import Testing

/// `curl` over HTTPS; returns the HTTP status (0 when the TLS handshake or
/// connection failed) and the body.
private func curl(port: UInt16, pki: TestPKI, certificate: String? = nil, path: String = "/whoami") async throws -> (status: Int, body: String) {
    var arguments = ["curl", "-sS", "--max-time", "10", "--cacert", pki.path("ca.pem"), "-w", "\n%{http_code}"]
    if let certificate {
        arguments += ["--cert", pki.path("\(certificate).pem"), "--key", pki.path("\(certificate).key")]
    }
    arguments.append("https://127.0.0.1:\(port)\(path)")
    let finalArguments = arguments
    let result = try await offload { try runProcess(finalArguments) }
    let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false)
    let status = lines.last.flatMap { Int($0) } ?? 0
    return (status, lines.dropLast().joined(separator: "\n"))
}


@Suite("TLS", .enabled(if: TestPKI.toolsAvailable, "needs the openssl and curl command-line tools"))
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

    /// Bytes of a TLS connection must go through libmicrohttpd's TLS session: a stream that ends
    /// with the connection is sent by it, never straight to the socket.
    @Test func longLivedStreamsOverTLSAreSentThroughTheTLSSession() async throws {
        let pki = try await offload { try TestPKI() }
        defer { pki.remove() }
        let tls = TLSConfiguration(certificatePEM: try pki.read("server.pem"), privateKeyPEM: try pki.read("server.key"))
        let writers = Mailbox<HTTPStreamWriter>()
        let server = try startServer({ $0.tls = tls }) { _ in
            let (source, writer) = HTTPStreamSource.makeStream(endsWithConnection: true)
            writers.put(writer)
            return HTTPResponse(status: 200, headers: [("Content-Type", "text/event-stream")], body: .stream(source))
        }
        let port = server.port
        let response = Task { try await curl(port: port, pki: pki, path: "/events") }
        let writer = try await writers.take()
        #expect(writer.tryWrite(Array("data: 1\n\n".utf8)))
        try await eventually(5, "the stream to wait for data") { writer.core.isSuspendedForTesting }
        #expect(writer.tryWrite(Array("data: 2\n\n".utf8)))
        writer.finish()
        let result = try await response.value
        #expect(result.status == 200)
        #expect(result.body == "data: 1\n\ndata: 2\n\n")
        #expect(writer.core.directBytes == 0)
        await server.shutdown(gracePeriod: .seconds(2))
    }

    @Test func badTLSMaterialFailsToStart() throws {
        let tls = TLSConfiguration(certificatePEM: "not a certificate", privateKeyPEM: "not a key")
        let server = try HTTPServer(configuration: HTTPServerConfiguration(port: 0, tls: tls), logger: testLogger) { _ in .text("") }
        #expect(throws: HTTPServerError.self) { try server.start() }
    }
}
