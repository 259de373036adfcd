import Foundation
import TestSupport
import Testing
@testable import HTTP

/// HTTPS end to end with a self-signed certificate made by the `openssl` CLI and
/// clients `curl` and `openssl s_client`.
@Suite(.enabled(if: toolExists("openssl") && toolExists("curl")), .timeLimit(.minutes(2)))
struct TLSTests {
    /// A fresh self-signed certificate for `localhost` and 127.0.0.1.
    private func makeCertificate() async throws -> TLSConfiguration {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("http-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let configuration = TLSConfiguration(certificateChainPath: directory + "/cert.pem", privateKeyPath: directory + "/key.pem")
        let result = try await run([
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", configuration.privateKeyPath, "-out", configuration.certificateChainPath,
        ])
        try #require(result.status == 0, "openssl: \(result.error)")
        return configuration
    }

    private func withTLSServer(_ body: (Int, TLSConfiguration) async throws -> Void) async throws {
        let tls = try await makeCertificate()
        var configuration = HTTPServer.Configuration.testing
        configuration.tls = tls
        try await withServer(configuration) { _, port in try await body(port, tls) }
    }

    private func curl(_ port: Int, _ tls: TLSConfiguration, _ arguments: [String], input: [UInt8] = []) async throws -> ProcessOutput {
        try await run(["curl", "-sS", "--cacert", tls.certificateChainPath, "--resolve", "localhost:\(port):127.0.0.1"] + arguments, input: input)
    }

    @Test func servesHTTPSAndKeepsConnectionsAlive() async throws {
        try await withTLSServer { port, tls in
            let result = try await curl(port, tls, [
                "-w", "%{http_code} %{num_connects} %{ssl_verify_result}\n", "-o", "/dev/null", "-o", "/dev/null",
                "https://localhost:\(port)/echo?x=1", "https://localhost:\(port)/",
            ])
            #expect(result.status == 0, "\(result.error)")
            // One handshake, verified, and the second request reuses the connection.
            #expect(result.output == "200 1 0\n200 0 0\n")
        }
    }

    @Test func carriesLargeBodiesBothWays() async throws {
        try await withTLSServer { port, tls in
            let directory = (tls.certificateChainPath as NSString).deletingLastPathComponent
            let upload = Data((0..<60_000).map { UInt8(truncatingIfNeeded: $0 % 251) })
            try upload.write(to: URL(fileURLWithPath: directory + "/upload.bin"))
            let echoed = try await curl(port, tls, [
                "--data-binary", "@\(directory)/upload.bin", "-o", directory + "/echoed.bin", "https://localhost:\(port)/echo",
            ])
            #expect(echoed.status == 0, "\(echoed.error)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/echoed.bin")) == upload)

            let download = try await curl(port, tls, ["-o", "/dev/null", "-w", "%{size_download}", "https://localhost:\(port)/big?bytes=5000000"])
            #expect(download.output == "5000000")

            let chunked = try await curl(port, tls, [
                "-H", "Transfer-Encoding: chunked", "--data-binary", "chunked over tls", "https://localhost:\(port)/echo",
            ])
            #expect(chunked.output == "chunked over tls")
        }
    }

    @Test func speaksTLS12And13Only() async throws {
        try await withTLSServer { port, _ in
            func handshake(_ version: String) async throws -> ProcessOutput {
                try await run([
                    "openssl", "s_client", "-connect", "127.0.0.1:\(port)", version, "-cipher", "DEFAULT:@SECLEVEL=0",
                ], input: Array("Q\n".utf8))
            }
            #expect(try await handshake("-tls1_2").output.contains("New, TLSv1.2, Cipher is ECDHE-ECDSA-"))
            #expect(try await handshake("-tls1_3").output.contains("New, TLSv1.3, Cipher is TLS_"))
            let old = try await handshake("-tls1_1")
            #expect(old.status != 0)
            #expect(old.output.contains("Cipher is (NONE)"))
            #expect(old.error.contains("protocol version"), "\(old.error)")
        }
    }

    @Test func answersPlainHTTPOnTheTLSPortAndCloses() async throws {
        try await withTLSServer { port, tls in
            try await expectClosingError(get("/"), 400, "tls_required", port: port)
            #expect(try await curl(port, tls, ["https://localhost:\(port)/"]).output == "ok")
        }
    }

    @Test func dropsAStalledHandshakeAtTheHeaderDeadline() async throws {
        try await withTLSServer { port, tls in
            let client = try SocketClient(port: port)
            let start = monotonicSeconds()
            await client.send([0x16, 0x03, 0x01, 0x00])  // The start of a ClientHello record, then nothing.
            try await expectClosedAtTheDeadline(client, since: start)
            #expect(try await curl(port, tls, ["https://localhost:\(port)/"]).output == "ok")
        }
    }

    @Test func refusesToStartWithoutItsCertificate() {
        var configuration = HTTPServer.Configuration.testing
        configuration.tls = TLSConfiguration(certificateChainPath: "/nonexistent/cert.pem", privateKeyPath: "/nonexistent/key.pem")
        let server = HTTPServer(configuration: configuration, responder: TestResponder())
        #expect(throws: TLSError.self) { try server.start() }
    }
}
