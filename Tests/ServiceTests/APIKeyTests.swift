import Foundation
import HTTP
import TestSupport
import Testing
import Service

/// The API key file and the `Authorization` check, without sockets (the end-to-end tests
/// through `gradcam serve` are in integration/deploy/test_security.py).
@Suite(.timeLimit(.minutes(2))) struct APIKeyTests {
    /// A key file in a fresh temporary directory, removed after `body`.
    private func withKeyFile(_ text: String, _ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apikeys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("keys").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try body(path)
    }

    private func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    @Test func readsOneKeyPerLineSkippingCommentsAndBlankLines() throws {
        try withKeyFile("# pipeline keys\n\n  alpha-key  \nbravo-key\r\n\t\n# charlie-key\n") { path in
            let keys = try APIKeys(path: path)
            #expect(keys.count == 2)
            #expect(keys.accepts(authorization: "Bearer alpha-key"))
            #expect(keys.accepts(authorization: "Bearer bravo-key"))
            #expect(!keys.accepts(authorization: "Bearer charlie-key"))
            #expect(!keys.accepts(authorization: "Bearer # charlie-key"))
        }
    }

    @Test func acceptsOnlyABearerKeyThatMatchesExactly() throws {
        try withKeyFile("s3cret-key\n") { path in
            let keys = try APIKeys(path: path)
            for valid in ["Bearer s3cret-key", "bearer s3cret-key", "BEARER s3cret-key", "Bearer  s3cret-key "] {
                #expect(keys.accepts(authorization: valid), "\(valid)")
            }
            for invalid: String? in [nil, "", "Bearer", "Bearer ", "s3cret-key", "Basic s3cret-key", "Token s3cret-key",
                                     "Bearer s3cret-ke", "Bearer s3cret-key2", "Bearer S3CRET-KEY", "Bearer s3cret-key extra",
                                     "Bearers3cret-key"] {
                #expect(!keys.accepts(authorization: invalid), "\(invalid ?? "nil")")
            }
        }
    }

    /// HTTP Basic (RFC 7617): the key is the password, after the first colon; any user name.
    @Test func basicAuthCarriesTheKeyAsThePasswordOnlyWhereAllowed() throws {
        try withKeyFile("s3cret-key\n") { path in
            let keys = try APIKeys(path: path)
            func basic(_ credentials: String, scheme: String = "Basic") -> String { "\(scheme) " + Data(credentials.utf8).base64EncodedString() }
            for valid in [basic("gradcam:s3cret-key"), basic(":s3cret-key"), basic("label studio:s3cret-key", scheme: "basic")] {
                #expect(keys.accepts(authorization: valid, basic: true), "\(valid)")
                #expect(!keys.accepts(authorization: valid), "\(valid) without basic allowed")
            }
            for invalid in [basic("s3cret-key"), basic("gradcam:s3cret-ke"), basic("s3cret-key:gradcam"), basic("gradcam:s3cret-key:x"),
                            basic("gradcam:"), "Basic", "Basic !!!", "Basic s3cret-key", basic("gradcam:s3cret-key", scheme: "Bearer")] {
                #expect(!keys.accepts(authorization: invalid, basic: true), "\(invalid)")
            }
        }
    }

    /// Label Studio sends the key as a Basic password; only its backend's routes take it.
    @Test func onlyTheLabelStudioRoutesTakeBasicAuth() async throws {
        try await withKeyFileAsync("ls-key\n") { path in
            var settings = ServiceConfiguration(workers: 1, threadsPerWorker: 1)
            settings.modelsDirectory = FileManager.default.temporaryDirectory.path
            settings.apiKeys = try APIKeys(path: path)
            let service = GradCAMService(configuration: settings)
            defer { service.shutdown() }
            let basic: HTTPHeaders = ["Authorization": "Basic " + Data("label-studio:ls-key".utf8).base64EncodedString()]
            let wrong: HTTPHeaders = ["Authorization": "Basic " + Data("label-studio:other".utf8).base64EncodedString()]
            for route in ["setup", "predict", "webhook"] {
                let target = "/label-studio/vgg16_small/\(route)"
                #expect(await service.respond(to: HTTPRequest(method: "POST", target: target, headers: basic)).status.code != 401, "\(route)")
                #expect(service.screen(head: HTTPRequest(method: "POST", target: target, headers: basic)) == nil, "\(route)")
                #expect(await service.respond(to: HTTPRequest(method: "POST", target: target, headers: wrong)).status.code == 401, "\(route)")
                let anonymous = await service.respond(to: HTTPRequest(method: "POST", target: target))
                #expect(anonymous.status.code == 401)
                #expect(String(decoding: anonymous.body, as: UTF8.self).contains("or HTTP Basic with the key as the password"))
            }
            #expect(await service.respond(to: HTTPRequest(method: "POST", target: "/predict?model=x", headers: basic)).status.code == 401)
            #expect(await service.respond(to: HTTPRequest(method: "POST", target: "/v2/models/x/infer", headers: basic)).status.code == 401)
        }
    }

    @Test func aFileWithoutKeysOrMissingIsRefusedAtStart() throws {
        try withKeyFile("# Replace this comment with the API keys, one per line.\n\n") { path in
            #expect(throws: APIKeys.Failure.self) { try APIKeys(path: path) }
            do {
                _ = try APIKeys(path: path)
            } catch {
                #expect("\(error)".contains("holds no key"))
            }
            #expect(throws: APIKeys.Failure.self) { try APIKeys(path: path + ".absent") }
        }
    }

    @Test func reloadReplacesTheKeys() throws {
        try withKeyFile("old-key\n") { path in
            let keys = try APIKeys(path: path)
            try write("new-key\nother-key\n", to: path)
            try keys.reload()
            #expect(keys.count == 2)
            #expect(keys.accepts(authorization: "Bearer new-key"))
            #expect(!keys.accepts(authorization: "Bearer old-key"))
        }
    }

    @Test func aFailedReloadKeepsTheKeysInUse() throws {
        try withKeyFile("kept-key\n") { path in
            let keys = try APIKeys(path: path)
            try write("# emptied by mistake\n", to: path)
            #expect(throws: APIKeys.Failure.self) { try keys.reload() }
            try FileManager.default.removeItem(atPath: path)
            #expect(throws: APIKeys.Failure.self) { try keys.reload() }
            #expect(keys.count == 1)
            #expect(keys.accepts(authorization: "Bearer kept-key"))
        }
    }

    @Test func errorsNameTheFileNeverAKey() throws {
        try withKeyFile("visible-only-in-the-file\n") { path in
            let keys = try APIKeys(path: path)
            try write("\n", to: path)
            do {
                try keys.reload()
                Issue.record("a reload of an empty file should fail")
            } catch {
                #expect("\(error)".contains(path))
                #expect(!"\(error)".contains("visible-only-in-the-file"))
            }
        }
    }

    @Test func postsNeedAKeyAndHealthStaysOpenUnlessProtectAll() async throws {
        try await withKeyFileAsync("service-key\n") { path in
            for protectAll in [false, true] {
                var settings = ServiceConfiguration(workers: 1, threadsPerWorker: 1)
                settings.modelsDirectory = FileManager.default.temporaryDirectory.path
                settings.apiKeys = try APIKeys(path: path)
                settings.protectAll = protectAll
                let service = GradCAMService(configuration: settings)
                defer { service.shutdown() }

                let anonymous = await service.respond(to: HTTPRequest(method: "POST", target: "/predict?model=x"))
                #expect(anonymous.status.code == 401)
                #expect(anonymous.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
                let wrong = await service.respond(to: HTTPRequest(method: "POST", target: "/predict?model=x",
                                                                  headers: ["Authorization": "Bearer nope"]))
                #expect(wrong.status.code == 401)
                // With the key the request gets past authorization (and fails later: no model).
                let keyed = await service.respond(to: HTTPRequest(method: "POST", target: "/predict?model=x",
                                                                  headers: ["Authorization": "Bearer service-key"]))
                #expect(keyed.status.code != 401)

                let health = await service.respond(to: HTTPRequest(method: "GET", target: "/healthz"))
                #expect(health.status.code == (protectAll ? 401 : 200))
                let metrics = await service.respond(to: HTTPRequest(method: "GET", target: "/metrics"))
                #expect(metrics.status.code == (protectAll ? 401 : 200))
                let keyedHealth = await service.respond(to: HTTPRequest(method: "GET", target: "/healthz",
                                                                        headers: ["Authorization": "Bearer service-key"]))
                #expect(keyedHealth.status.code == 200)
            }
        }
    }

    @Test func theKeyIsCheckedOnTheHeadBeforeAnyBodyIsRead() async throws {
        try await withKeyFileAsync("head-key\n") { path in
            let keys = try APIKeys(path: path)
            try await withService(load: false, configure: { $0.apiKeys = keys }) { service, port in
                // The decision is the same `authorize` the service applies in `respond`.
                #expect(service.screen(head: HTTPRequest(method: "POST", target: "/predict"))?.status.code == 401)
                #expect(service.screen(head: HTTPRequest(method: "POST", target: "/predict",
                                                         headers: ["Authorization": "Bearer head-key"])) == nil)
                #expect(service.screen(head: HTTPRequest(method: "GET", target: "/healthz")) == nil)

                // Over the wire: 401 at once, never `100 Continue`, then the connection closes.
                let client = try SocketClient(port: port)
                await client.send(request("POST", "/predict?model=vgg16_small",
                                          headers: [("Content-Length", "200000"), ("Expect", "100-continue")]))
                let response = try await client.readResponse()
                #expect(response.status == 401)
                #expect(response.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
                #expect(response.header("Connection") == "close")
                #expect(await client.waitForClose())
            }
        }
    }

    private func withKeyFileAsync(_ text: String, _ body: (String) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apikeys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("keys").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try await body(path)
    }
}
