import Foundation
import TestSupport
import Testing

/// The GET endpoints, routing (404, 405) and readiness, over real sockets.
@Suite(.timeLimit(.minutes(2))) struct EndpointTests {
    @Test func healthAnswersBeforeTheModelsLoad() async throws {
        try await withService(load: false) { _, port in
            let reply = try await get(port, "/healthz")
            #expect(reply.status == 200)
            #expect(reply.text == "ok\n")
            #expect(reply.header("Content-Type") == "text/plain; charset=utf-8")
        }
    }

    @Test func readinessFollowsLoading() async throws {
        try await withService(load: false) { service, port in
            for target in ["/readyz", "/models", "/models/vgg16_small"] {
                let before = try await get(port, target)
                #expect(before.status == 503, "\(target)")
                #expect(before.errorCode == "not_ready")
                #expect(before.header("Retry-After") == "2")
            }
            let predict = try await post(port, "/predict?model=vgg16_small", raw: Fixture.png, contentType: "image/png")
            #expect(predict.status == 503)
            #expect(predict.errorCode == "not_ready")

            try await onThread { try service.loadModels() }
            let after = try await get(port, "/readyz")
            #expect(after.status == 200)
            #expect(after.text == "ready: vgg16_small\n")
        }
    }

    @Test func anEmptyModelsDirectoryIsNeverReady() async throws {
        try await withService(modelsDirectory: Fixture.emptyDirectory) { _, port in
            let reply = try await get(port, "/readyz")
            #expect(reply.status == 503)
            #expect(reply.errorCode == "not_ready")
            #expect(reply.header("Retry-After") == "10")
            #expect(reply.text.contains(Fixture.emptyDirectory))
        }
    }

    @Test func aModelThatCannotLoadIsListedAsUnavailable() async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "gradcam-service-tests-broken-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data("not a model".utf8).write(to: directory.appending(path: "broken.onnx"))
        try FileManager.default.copyItem(atPath: Fixture.vggDirectory + "/vgg16_small.onnx", toPath: directory.appending(path: "vgg16_small.onnx").path)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withService(modelsDirectory: directory.path) { _, port in
            let list = try JSONSerialization.jsonObject(with: Data(try await get(port, "/models").body)) as! [String: Any]
            let unavailable = list["unavailable"] as! [[String: String]]
            #expect(unavailable.map { $0["name"] } == ["broken"])
            #expect(unavailable.first?["reason"]?.contains("broken") == true)
            #expect(try await get(port, "/readyz").status == 200)
            // Asking for it is no mistake of the client's: the server's model is at fault.
            let reply = try await post(port, "/predict?model=broken", raw: Fixture.png, contentType: "image/png")
            #expect(reply.status == 500)
            #expect(reply.errorCode == "model_error")
        }
    }

    @Test func listsTheModels() async throws {
        try await withSharedService { port in
            let reply = try await get(port, "/models")
            #expect(reply.status == 200)
            #expect(reply.header("Content-Type") == "application/json")
            let list = try JSONSerialization.jsonObject(with: Data(reply.body)) as! [String: Any]
            let models = list["models"] as! [[String: Any]]
            #expect(models.map { $0["name"] as! String } == ["alexnet_small", "vgg16_small"])
            #expect(models[1]["classes"] as? Int == 1000)
            #expect(models[1]["default_layer"] as? String == "/features/features.29/Relu_output_0")
            #expect(models[1]["input"] as? [String: Int] == ["width": 224, "height": 224])
            #expect((list["unavailable"] as! [Any]).isEmpty)
        }
    }

    @Test func describesOneModel() async throws {
        try await withSharedService { port in
            let reply = try await get(port, "/models/alexnet_small")
            #expect(reply.status == 200)
            let detail = try JSONSerialization.jsonObject(with: Data(reply.body)) as! [String: Any]
            #expect(detail["name"] as? String == "alexnet_small")
            #expect(detail["file"] as? String == "alexnet_small.onnx")
            #expect((detail["labels"] as! [String]).count == 1000)
            #expect((detail["methods"] as! [String]).contains("guided-gradcam"))
            let layers = detail["layers"] as! [[String: Any]]
            #expect(layers.contains { $0["name"] as? String == "/features/features.11/Relu_output_0" && $0["op"] as? String == "Relu" })
            let preprocessing = detail["preprocessing"] as! [String: Any]
            #expect(preprocessing["size"] as? [Int] == [224, 224])
        }
    }

    @Test func anUnknownModelInThePathIsNotFound() async throws {
        try await withSharedService { port in
            for target in ["/models/resnet9000", "/models/", "/models/vgg16_small/extra"] {
                let reply = try await get(port, target)
                #expect(reply.status == 404, "\(target)")
                #expect(reply.errorCode == "unknown_model")
                #expect(reply.text.contains("alexnet_small, vgg16_small"))
            }
        }
    }

    @Test func servesTheOpenAPIDocumentAndTheDemoPage() async throws {
        try await withService(load: false) { _, port in
            let spec = try await get(port, "/openapi.yaml")
            #expect(spec.status == 200)
            #expect(spec.header("Content-Type") == "application/yaml; charset=utf-8")
            #expect(spec.text.trimmingCharacters(in: .newlines) == Fixture.openAPI.trimmingCharacters(in: .newlines))
            let page = try await get(port, "/", headers: [("Accept", "text/html")])
            #expect(page.status == 200)
            #expect(page.header("Content-Type") == "text/html; charset=utf-8")
            #expect(page.text.lowercased().hasPrefix("<!doctype html>"))
            let liveness = try await get(port, "/", headers: [("Accept", "*/*")])
            #expect(liveness.status == 200 && liveness.text == #"{"status":"alive"}"#)
        }
    }

    /// A method that cannot explain the chosen model at that layer is the client's choice: a
    /// 400 naming why, not a server fault (AblationCAM's passes from the layer cannot start
    /// inside a residual block: the sum after it also reads the block's input).
    @Test func aMethodThatCannotExplainTheModelIsABadRequest() async throws {
        try await withService(modelsDirectory: Fixture.mobilenetDirectory) { _, port in
            let layer = "/features/features.2/block/block.1/block.1.2/HardSwish_output_0"
            let reply = try await post(port, "/gradcam?model=mobilenetv3_idiom&method=ablationcam&layer=\(layer)&format=json",
                                       raw: Fixture.png, contentType: "image/png")
            #expect(reply.status == 400)
            #expect(reply.errorCode == "unsupported_for_model")
            #expect(reply.text.contains("cannot start at the layer"), "\(reply.text)")
        }
    }

    @Test func unknownPathsAreNotFound() async throws {
        try await withService(load: false) { _, port in
            for target in ["/nope", "/gradcam/extra", "/healthz/", "/%2e%2e/etc/passwd"] {
                let reply = try await get(port, target)
                #expect(reply.status == 404, "\(target)")
                #expect(reply.errorCode == "not_found")
            }
        }
    }

    @Test(arguments: [
        ("POST", "/models", "GET, HEAD"), ("DELETE", "/healthz", "GET, HEAD"), ("PUT", "/", "GET, HEAD"),
        ("GET", "/gradcam", "POST"), ("HEAD", "/predict", "POST"), ("PATCH", "/models/vgg16_small", "GET, HEAD"),
    ])
    func wrongMethodsAreNotAllowed(method: String, path: String, allow: String) async throws {
        try await withService(load: false) { _, port in
            let client = try SocketClient(port: port)
            await client.send(request(method, path))
            let reply = try await client.readResponse(headOnly: method == "HEAD")
            #expect(reply.status == 405)
            #expect(reply.header("Allow") == allow)
            #expect(method == "HEAD" || reply.errorCode == "method_not_allowed")
        }
    }

    @Test func headAnswersLikeGetWithoutABody() async throws {
        try await withService(load: false) { _, port in
            let client = try SocketClient(port: port)
            await client.send(request("HEAD", "/healthz"))
            let reply = try await client.readResponse(headOnly: true)
            #expect(reply.status == 200)
            #expect(reply.header("Content-Length") == "3")
            // The connection stays usable: nothing but the head was sent.
            #expect(try await client.exchange(request("GET", "/healthz")).text == "ok\n")
        }
    }

    @Test(arguments: ["method", "format", "colormap"])
    func theSpecListsTheChoicesTheServerAccepts(parameter: String) async throws {
        try await withSharedService { port in
            let reply = try await post(port, "/gradcam?model=vgg16_small&\(parameter)=bogus", raw: Fixture.png, contentType: "image/png")
            #expect(reply.status == 400)
            #expect(reply.errorCode == "invalid_parameter")
            let message = reply.text
            let choices = try #require(message.range(of: "is not one of ")).upperBound
            let list = message[choices...].prefix { $0 != "\"" }
            #expect(Fixture.openAPI.contains("enum: [\(list)]"), "openapi.yaml should list \(list)")
        }
    }
}
