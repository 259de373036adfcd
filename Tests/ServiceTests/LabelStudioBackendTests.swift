import Foundation
import HTTP
import Models
import Pipeline
import Service
import TestSupport
import Testing

/// The Label Studio ML backend routes under /label-studio/{model}/: health, setup, predict (with
/// the task image fetched from an origin on loopback, its answer the regions of
/// `LabelStudioExport` for the session's own explanation), webhook, and their bad inputs.
@Suite(.timeLimit(.minutes(2))) struct LabelStudioBackendTests {
    /// Serves the PNG fixture at every path but `/corrupt…` (bytes that are no image) and
    /// `/missing…` (404), recording the Authorization headers it gets.
    final class ImageOrigin: HTTPResponder, @unchecked Sendable {
        private let lock = NSLock()
        private var seen: [String?] = []
        var authorizations: [String?] { lock.withLock { seen } }

        func respond(to request: HTTPRequest) async -> HTTPResponse {
            lock.withLock { seen.append(request.headers["Authorization"]) }
            if request.path.hasPrefix("/missing") { return HTTPResponse(status: .notFound, headers: [:], body: []) }
            let body = request.path.hasPrefix("/corrupt") ? Array("not an image".utf8) : Fixture.png
            return HTTPResponse(status: .ok, headers: ["Content-Type": "image/png"], body: body)
        }
    }

    /// Messages the service logged.
    final class LogLines: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String] = []
        var lines: [String] { lock.withLock { stored } }
        func append(_ line: String) { lock.withLock { stored.append(line) } }
    }

    static func config(_ labels: [String]) -> String {
        LabelStudioConfig(imageName: "image", imageKey: "image", rectangles: .init(name: "box", toName: "image", labels: labels),
                          brushes: .init(name: "mask", toName: "image", labels: labels)).xml
    }

    static func json(_ object: Any) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: object))
    }

    /// Runs `body` with a service whose backend may fetch from an image origin on loopback.
    func withBackend(log: LogLines = LogLines(), _ body: (Int, Int, ImageOrigin) async throws -> Void) async throws {
        let origin = ImageOrigin()
        let server = HTTPServer(configuration: .relaxed, responder: origin)
        let originPort = try server.start()
        do {
            try await withService(configure: {
                $0.labelStudio.baseURL = "http://127.0.0.1:\(originPort)"
                $0.labelStudio.fetch = FetchPolicy(allowed: [try! .init("127.0.0.1:\(originPort)")])
                $0.labelStudio.fetch.authorization = "Token t0k3n"
                $0.log = { log.append($0) }
            }) { _, port in try await body(port, originPort, origin) }
        } catch {
            await server.shutdown(grace: .zero)
            throw error
        }
        await server.shutdown(grace: .zero)
    }

    struct Answer: Decodable {
        var results: [LabelStudioPrediction]
        var model_version: String
        var warnings: [String]
    }

    @Test func predictAnswersTheRegionsOfTheTopLabelledClass() async throws {
        try await withBackend { port, originPort, origin in
            let labels = ["3", "7", "zebra"]
            let body = Self.json(["tasks": [["id": 1, "data": ["image": "/data/upload/1/a.png"]]], "label_config": Self.config(labels),
                                  "project": "1.1700000000", "params": ["login": NSNull(), "context": NSNull()]])
            let reply = try await post(port, "/label-studio/vgg16_small/predict", raw: body, contentType: "application/json")
            #expect(reply.status == 200, "\(reply.text)")
            let answer = try JSONDecoder().decode(Answer.self, from: Data(reply.body))
            #expect(answer.model_version == "vgg16_small")
            #expect(answer.warnings.count == 1 && answer.warnings[0].contains("'zebra'"))
            #expect(origin.authorizations == ["Token t0k3n"])
            // The same regions from the session directly: the better of classes 3 and 7, explained.
            let expected: LabelStudioPrediction = try await onThread {
                var registry = try ModelRegistry(directory: Fixture.vggDirectory)
                registry.loadAll()
                let model = try registry.model(named: "vgg16_small")
                let session = ExplainSession(threads: 1)
                let ranked = try session.predict(Fixture.png, model: model, top: 1000).0.predictions
                let best = try #require(ranked.first { [3, 7].contains($0.classIndex) })
                var options = ExplainOptions()
                options.classes = [String(best.classIndex)]
                let document = try session.explain(Fixture.png, model: model, options: options, render: false).document
                return LabelStudioExport.prediction(document, config: try LabelStudioConfig.parse(Self.config(labels)))
            }
            #expect(answer.results == [expected])
            #expect(Set(expected.result.map(\.type)).isSubset(of: ["rectanglelabels", "brushlabels"]) && !expected.result.isEmpty)
        }
    }

    /// The answer's `results` and `warnings`, as JSON.
    static func results(_ reply: WireResponse) -> (results: [Any], warnings: [String]) {
        let object = (try? JSONSerialization.jsonObject(with: Data(reply.body))) as? [String: Any] ?? [:]
        return (object["results"] as? [Any] ?? [], object["warnings"] as? [String] ?? [])
    }

    @Test func refusesImagesFromHostsNotAllowed() async throws {
        try await withBackend { port, _, origin in
            for url in ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/a.png", "http://localhost:1/a.png", "file:///etc/passwd"] {
                let body = Self.json(["tasks": [["id": 9, "data": ["image": url]]], "label_config": Self.config(["3"])])
                let reply = try await post(port, "/label-studio/vgg16_small/predict", raw: body, contentType: "application/json")
                #expect(reply.status == 200, "\(url): \(reply.text)")
                let (results, warnings) = Self.results(reply)
                #expect(results.count == 1 && (results[0] as? [Any])?.isEmpty == true, "\(url): \(reply.text)")
                #expect(warnings.last?.hasPrefix("task 0 (id '9') has no prediction: ") == true, "\(url): \(reply.text)")
                #expect(warnings.last?.contains("is not an allowed host") == true || warnings.last?.contains("neither a path") == true,
                        "\(url): \(reply.text)")
            }
            #expect(origin.authorizations.isEmpty)
        }
    }

    /// One task that fails (an image not fetched, not decodable, or not named) does not fail the
    /// call: it gets an empty list of predictions, logged, counted and in `warnings`; the others
    /// are answered as alone.
    @Test func aFailingTaskGetsNoPredictionAndTheOthersAreAnswered() async throws {
        let log = LogLines()
        try await withBackend(log: log) { port, originPort, _ in
            let config = Self.config(["3", "7"])
            let good = Self.json(["tasks": [["id": 1, "data": ["image": "/data/upload/a.png"]]], "label_config": config])
            let alone = Self.results(try await post(port, "/label-studio/vgg16_small/predict", raw: good, contentType: "application/json"))
            let tasks: [[String: Any]] = [
                ["id": 1, "data": ["image": "/data/upload/a.png"]],
                ["id": 2, "data": ["image": "/missing/b.png"]],
                ["id": 3, "data": ["image": "/corrupt/c.png"]],
                ["id": 4, "data": ["text": "no image"]],
                ["id": 5, "data": ["image": "http://127.0.0.1:\(originPort)/data/upload/e.png"]],
            ]
            let reply = try await post(port, "/label-studio/vgg16_small/predict", raw: Self.json(["tasks": tasks, "label_config": config]),
                                       contentType: "application/json")
            #expect(reply.status == 200, "\(reply.text)")
            let (results, warnings) = Self.results(reply)
            try #require(results.count == 5)
            let prediction = try #require(alone.results.first as? NSDictionary)
            #expect(results[0] as? NSDictionary == prediction)
            #expect(results[4] as? NSDictionary == prediction)
            for failed in results[1...3] { #expect((failed as? [Any])?.isEmpty == true, "\(failed)") }
            let expected = [
                "task 1 (id '2') has no prediction: the image was not fetched: ",
                "task 2 (id '3') has no prediction: unrecognized image format",
                "task 3 (id '4') has no prediction: it has no data.'image' string",
            ]
            #expect(warnings.count == 3)
            for (warning, start) in zip(warnings, expected) { #expect(warning.hasPrefix(start), "\(warning)") }
            #expect(warnings[0].contains("HTTP 404"), "\(warnings[0])")
            #expect(log.lines == warnings.map { "label-studio/vgg16_small: \($0)" })
            let metrics = try await get(port, "/metrics")
            #expect(metrics.text.contains("gradcam_label_studio_task_failures_total 3"), "\(metrics.text)")
        }
    }

    @Test func healthSetupAndWebhookAnswerAsABackend() async throws {
        try await withSharedService { port in
            let health = try await get(port, "/label-studio/vgg16_small/health")
            #expect(health.status == 200 && health.text.contains("\"status\":\"UP\""))
            let setup = try await post(port, "/label-studio/vgg16_small/setup",
                                       raw: Self.json(["project": "1", "schema": Self.config(["3", "cat"]), "model_version": "x"]), contentType: "application/json")
            #expect(setup.status == 200 && setup.text.contains("\"model_version\":\"vgg16_small\"") && setup.text.contains("'cat'"), "\(setup.text)")
            let train = try await post(port, "/label-studio/vgg16_small/webhook", raw: Self.json(["action": "ANNOTATION_CREATED", "project": ["id": 1]]),
                                       contentType: "application/json")
            #expect(train.status == 201)
            let other = try await post(port, "/label-studio/vgg16_small/webhook", raw: Self.json(["action": "PROJECT_UPDATED"]), contentType: "application/json")
            #expect(other.status == 200 && other.text.contains("Unknown event"))
        }
    }

    @Test(arguments: [
        ("/label-studio/vgg16_small/setup", #"{"schema": "<View><Image name=\"i\" value=\"$i\"/><RectangleLabels name=\"r\" toName=\"i\"><Label value=\"dog\"/></RectangleLabels></View>"}"#, 400, "no_matching_labels"),
        ("/label-studio/vgg16_small/setup", #"{"schema": "<!DOCTYPE x><View/>"}"#, 400, "invalid_label_config"),
        ("/label-studio/vgg16_small/setup", #"{"project": 1}"#, 400, "invalid_body"),
        ("/label-studio/vgg16_small/predict", #"{"tasks": "no"}"#, 400, "invalid_body"),
        ("/label-studio/vgg16_small/predict", "not json", 400, "invalid_body"),
        ("/label-studio/vgg16_small/webhook", "{}", 400, "invalid_body"),
        ("/label-studio/nosuchmodel/setup", "{}", 400, "unknown_model"),
        ("/label-studio/vgg16_small/train", "{}", 404, "not_found"),
        ("/label-studio/vgg16_small", "{}", 404, "not_found"),
    ])
    func refusesBadRequestsWithAReason(_ target: String, _ body: String, _ status: Int, _ code: String) async throws {
        try await withSharedService { port in
            let reply = try await post(port, target, raw: Array(body.utf8), contentType: "application/json")
            #expect(reply.status == status && reply.text.contains(code), "\(reply.text)")
        }
    }

    @Test func tooManyTasksAreRefused() async throws {
        try await withSharedService { port in
            let tooMany = Self.json(["tasks": Array(repeating: ["data": ["image": "/a.png"]], count: 1001), "label_config": Self.config(["3"])])
            let refused = try await post(port, "/label-studio/vgg16_small/predict", raw: tooMany, contentType: "application/json")
            #expect(refused.status == 413 && refused.text.contains("too_many_tasks"))
        }
    }
}
