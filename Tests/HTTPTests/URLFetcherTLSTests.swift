import Foundation
import TestSupport
import Testing
@testable import HTTP

/// The URL fetcher over `https://`, against this server's own TLS on loopback with a
/// certificate signed by a CA made for the test (the `openssl` CLI): the chain verified against
/// the CA given as `trustedCertificates` (`--fetch-ca-file`) or the system's store, the
/// certificate checked to name the host (an IP literal, or a DNS name sent by SNI), redirects
/// kept on the scheme, and the policy's host, address and time rules as for `http://`.
@Suite(.enabled(if: toolExists("openssl")), .timeLimit(.minutes(1))) struct URLFetcherTLSTests {
    static let image: [UInt8] = [0x89, 0x50, 0x4E, 0x47] + (0..<70_000).map { UInt8(truncatingIfNeeded: $0 % 253) }

    /// `/image`: the bytes; `/relative`: a redirect to `/image`; `/downgrade`: a redirect to
    /// the same host and port over `http://`.
    struct Origin: HTTPResponder {
        func respond(to request: HTTPRequest) async -> HTTPResponse {
            switch request.path {
            case "/image": return HTTPResponse(status: .ok, headers: ["Content-Type": "image/png"], body: URLFetcherTLSTests.image)
            case "/relative": return HTTPResponse(status: HTTPStatus(code: 302, reasonPhrase: "Found"), headers: ["Location": "/image"], body: [])
            case "/downgrade":
                let host = request.headers["Host"] ?? ""
                return HTTPResponse(status: HTTPStatus(code: 302, reasonPhrase: "Found"), headers: ["Location": "http://\(host)/image"], body: [])
            default: return HTTPResponse(status: .notFound, body: [])
            }
        }
    }

    /// A CA, and a server certificate it signs for `localhost` and 127.0.0.1: paths of the
    /// CA's PEM and of the server's TLS configuration.
    static func makeCertificates() async throws -> (ca: String, server: TLSConfiguration) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fetch-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let server = TLSConfiguration(certificateChainPath: directory + "/cert.pem", privateKeyPath: directory + "/key.pem")
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\n".write(toFile: directory + "/ext.cnf", atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for command in [
            ["openssl", "req", "-x509"] + ec + ["-days", "1", "-subj", "/CN=gradcam fetch test CA", "-keyout", directory + "/ca.key", "-out", directory + "/ca.pem"],
            ["openssl", "req"] + ec + ["-subj", "/CN=localhost", "-keyout", server.privateKeyPath, "-out", directory + "/server.csr"],
            ["openssl", "x509", "-req", "-in", directory + "/server.csr", "-CA", directory + "/ca.pem", "-CAkey", directory + "/ca.key",
             "-CAcreateserial", "-days", "1", "-extfile", directory + "/ext.cnf", "-out", server.certificateChainPath],
        ] {
            let result = try await run(command)
            try #require(result.status == 0, "\(command.joined(separator: " ")): \(result.error)")
        }
        return (directory + "/ca.pem", server)
    }

    /// Runs `body` with an HTTPS origin on loopback and the CA that signed its certificate.
    func withOrigin(_ body: (Int, String) async throws -> Void) async throws {
        let (ca, tls) = try await Self.makeCertificates()
        var configuration = HTTPServer.Configuration.testing
        configuration.tls = tls
        try await withServer(configuration, responder: Origin()) { _, port in try await body(port, ca) }
    }

    /// A fetcher allowed `entries`, trusting `ca`, resolving every name to 127.0.0.1.
    static func fetcher(_ entries: [String], ca: String?, timeout: Duration = .seconds(10)) throws -> URLFetcher {
        var policy = FetchPolicy(allowed: try entries.map { try FetchPolicy.Entry($0) })
        policy.trustedCertificates = ca
        policy.timeout = timeout
        return URLFetcher(policy: policy, resolve: { _ in [IPAddress(literal: "127.0.0.1")!] })
    }

    @Test func fetchesFromAnIPLiteralAndANameTheCertificateNames() async throws {
        try await withOrigin { port, ca in
            let byAddress = try Self.fetcher(["127.0.0.1:\(port)"], ca: ca)
            #expect(try await fetch(byAddress, "https://127.0.0.1:\(port)/image") == Self.image)
            #expect(try await fetch(byAddress, "https://127.0.0.1:\(port)/relative") == Self.image)
            // A name (checked against the certificate, sent by SNI) that resolves to loopback, listed.
            let byName = try Self.fetcher(["localhost:\(port)", "127.0.0.1:\(port)"], ca: ca)
            #expect(try await fetch(byName, "https://LOCALHOST:\(port)/image") == Self.image)
        }
    }

    @Test func refusesACertificateNotSignedByATrustedCAOrNotNamingTheHost() async throws {
        try await withOrigin { port, ca in
            // The system's store does not hold the test's CA.
            await expectFetchError(try Self.fetcher(["127.0.0.1:\(port)"], ca: nil), "https://127.0.0.1:\(port)/image",
                              "the server's certificate is not accepted: unable to get local issuer certificate")
            // Another CA's file: the chain does not verify either.
            let (otherCA, _) = try await Self.makeCertificates()
            await expectFetchError(try Self.fetcher(["127.0.0.1:\(port)"], ca: otherCA), "https://127.0.0.1:\(port)/image",
                              "the server's certificate is not accepted")
            // A name the certificate does not hold, though it resolves to the server.
            await expectFetchError(try Self.fetcher(["images.example:\(port)", "127.0.0.1:\(port)"], ca: ca), "https://images.example:\(port)/image",
                              "the server's certificate is not accepted: hostname mismatch")
            // A CA file that cannot be read.
            await expectFetchError(try Self.fetcher(["127.0.0.1:\(port)"], ca: "/nonexistent/ca.pem"), "https://127.0.0.1:\(port)/image",
                              "loading the trusted certificates from /nonexistent/ca.pem failed")
        }
    }

    @Test func keepsRedirectsOnTheSchemeAndThePolicyAsForHTTP() async throws {
        try await withOrigin { port, ca in
            let fetcher = try Self.fetcher(["127.0.0.1:\(port)"], ca: ca)
            await expectFetchError(fetcher, "https://127.0.0.1:\(port)/downgrade", "redirects to another host ('127.0.0.1' port \(port), another scheme)")
            // https's default port is 443: an entry without a port (80) does not allow it.
            await expectFetchError(try Self.fetcher(["images.example"], ca: ca), "https://images.example/a.png", "'images.example' port 443 is not an allowed host")
            // Loopback only when the address itself is listed.
            await expectFetchError(try Self.fetcher(["localhost:\(port)"], ca: ca), "https://localhost:\(port)/image", "resolves to 127.0.0.1, a loopback (127.0.0.0/8) address")
            // Plain HTTP where TLS is expected: the handshake fails, nothing is fetched.
            let plain = try ScriptedOrigin { _ in .response("200 OK", headers: ["Content-Length: 4"], body: [1, 2, 3, 4]) }
            defer { plain.stop() }
            await expectFetchError(try Self.fetcher(["127.0.0.1:\(plain.port)"], ca: ca), "https://127.0.0.1:\(plain.port)/a", "the TLS handshake")
        }
    }

    /// A server that takes the connection and never answers the handshake: the fetch stops at its time cap.
    @Test func aStalledHandshakeEndsAtTheTimeCap() async throws {
        let silent = try ScriptedOrigin { _ in .response("200 OK") }
        defer { silent.stop() }
        let started = ContinuousClock.now
        await expectFetchError(try Self.fetcher(["127.0.0.1:\(silent.port)"], ca: nil, timeout: .milliseconds(500)),
                          "https://127.0.0.1:\(silent.port)/a", "the fetch took longer than 0.5 s")
        #expect(ContinuousClock.now - started < .seconds(3))
    }
}
