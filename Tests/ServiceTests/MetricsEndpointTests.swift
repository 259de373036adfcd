import Foundation
import Models
import Pipeline
import TestSupport
import Testing

/// `metrics=`, `metrics_seed` and `box` on `POST /gradcam`: the document is the CLI's, and
/// every wrong value is a 400 that says what is accepted.
@Suite(.timeLimit(.minutes(3))) struct MetricsEndpointTests {
    @Test func metricsAreInTheDocumentOfTheCLI() async throws {
        try await withSharedService { port in
            let reply = try await post(port, "/gradcam?model=alexnet_small&format=json&class=3&metrics=deletion,confidence-change&metrics_seed=5",
                                       raw: Fixture.png, contentType: "image/png")
            #expect(reply.status == 200, "\(reply.text)")
            let expected: [UInt8] = try await onThread {
                var registry = try ModelRegistry(directory: Fixture.modelsDirectory)
                registry.loadAll(only: ["alexnet_small"])
                var options = ExplainOptions()
                options.classes = ["3"]
                options.metrics = [.deletion, .confidenceChange]
                options.metricsSeed = 5
                let output = try ExplainSession(threads: 1).explain(Fixture.png, model: registry.model(named: "alexnet_small"),
                                                                    options: options, render: false)
                return try DocumentEncoding.json(output.document)
            }
            #expect(reply.body == expected)
            let metrics = try #require(try JSONDecoder().decode(ExplanationDocument.self, from: Data(reply.body)).explanations[0].metrics)
            #expect(metrics.deletion?.curve.count == 33 && metrics.confidenceChange != nil)
            #expect(metrics.road == nil && metrics.insertion == nil && metrics.averageDrop == nil && metrics.pointingGame == nil)
            let stages = (reply.header("Server-Timing") ?? "").split(separator: ",").map { $0.split(separator: ";")[0].trimmingCharacters(in: .whitespaces) }
            #expect(stages == ["decode", "preprocess", "forward", "backward", "map", "metrics", "encode"])
        }
    }

    @Test func formFieldsAskForThePointingGame() async throws {
        try await withSharedService { port in
            // The whole 37 x 23 image: the maximum is on it.
            let form = Form(image: Fixture.png, fields: [("model", "alexnet_small"), ("format", "json"), ("metrics", "pointing-game"), ("box", "0,0,37,23")])
            let reply = try await post(port, "/gradcam", form: form)
            #expect(reply.status == 200, "\(reply.text)")
            let entry = try JSONDecoder().decode(ExplanationDocument.self, from: Data(reply.body)).explanations[0]
            #expect(entry.metrics?.pointingGame?.hit == true)
        }
    }

    @Test(arguments: [
        ("metrics=roads", "unknown metric 'roads'; metrics: road, confidence-change, deletion, insertion, average-drop, pointing-game"),
        ("metrics=pointing-game", "metric pointing-game needs the object's box"),
        ("box=0,0,10,10", "box is read only by the pointing game"),
        ("metrics=pointing-game&box=0,0,40,10", "box 0,0,40,10 lies outside the 37 x 23 image"),
        ("metrics=pointing-game&box=1,2,3", "box must be x0,y0,x1,y1"),
        ("metrics=pointing-game&box=5,5,5,9", "box must be x0,y0,x1,y1"),
        ("metrics=road&metrics_seed=-1", "metrics_seed"),
    ])
    func wrongValuesAre400(_ query: String, _ message: String) async throws {
        try await withSharedService { port in
            let reply = try await post(port, "/gradcam?model=alexnet_small&format=json&\(query)", raw: Fixture.png, contentType: "image/png")
            #expect(reply.status == 400)
            #expect(["invalid_parameter", "bad_parameter"].contains(reply.errorCode ?? ""), "\(reply.text)")
            #expect(reply.text.contains(message), "\(reply.text)")
        }
    }
}
