import Foundation
import Models
import Pipeline
import TestSupport
import Testing

/// `POST /gradcam` and `POST /predict`: uploads, parameters, PNG headers, and the JSON
/// documents being exactly those of the CLI's `ExplainSession`.
@Suite(.timeLimit(.minutes(2))) struct ExplainEndpointTests {
    @Test func answersAPNGOverlayAtTheImageSizeWithHeaders() async throws {
        try await withSharedService { port in
            let reply = try await post(port, "/gradcam?model=vgg16_small&class=3", form: Form(image: Fixture.png))
            #expect(reply.status == 200)
            #expect(reply.header("Content-Type") == "image/png")
            #expect(Fixture.pngSize(reply.body).map { $0.width == 37 && $0.height == 23 } == true)
            #expect(reply.header("X-Gradcam-Model") == "vgg16_small")
            #expect(reply.header("X-Gradcam-Method") == "gradcam")
            #expect(reply.header("X-Gradcam-Class") == "3")
            #expect(reply.header("X-Gradcam-Label") == "3")
            #expect(reply.header("X-Gradcam-Layer") == "/features/features.29/Relu_output_0")
            #expect(Float(reply.header("X-Gradcam-Score") ?? "").map { $0 > 0 && $0 < 1 } == true)
            #expect(Float(reply.header("X-Gradcam-Logit") ?? "") != nil)
            #expect(["true", "false"].contains(reply.header("X-Gradcam-Zero") ?? ""))
            let stages = (reply.header("Server-Timing") ?? "").split(separator: ",").map { $0.split(separator: ";")[0].trimmingCharacters(in: .whitespaces) }
            #expect(stages == ["decode", "preprocess", "forward", "backward", "map", "encode"])
            if reply.header("X-Gradcam-Zero") == "false" {
                let peak = try #require(reply.header("X-Gradcam-Peak")).split(separator: ",").compactMap { Int($0) }
                #expect(peak.count == 2 && peak[0] < 37 && peak[1] < 23)
            }
        }
    }

    @Test func takesRawJPEGAndParametersAsFormFields() async throws {
        try await withSharedService { port in
            let raw = try await post(port, "/gradcam?model=alexnet_small&colormap=viridis&alpha=0.3&layer=/features/features.9/Relu_output_0",
                                     raw: Fixture.jpeg, contentType: "image/jpeg")
            #expect(raw.status == 200)
            #expect(Fixture.pngSize(raw.body).map { $0.width == 45 && $0.height == 29 } == true)
            #expect(raw.header("X-Gradcam-Layer") == "/features/features.9/Relu_output_0")

            let form = Form(image: Fixture.jpeg, fields: [("model", "alexnet_small"), ("method", "layercam"), ("class", "7")])
            let fields = try await post(port, "/gradcam", form: form)
            #expect(fields.status == 200)
            #expect(fields.header("X-Gradcam-Method") == "layercam")
            #expect(fields.header("X-Gradcam-Class") == "7")
        }
    }

    @Test func guidedMethodsAnswerTheGuidedImage() async throws {
        try await withSharedService { port in
            for method in ["guided-gradcam", "guided-backprop"] {
                let reply = try await post(port, "/gradcam?model=vgg16_small&method=\(method)", raw: Fixture.png, contentType: "image/png")
                #expect(reply.status == 200)
                #expect(reply.header("X-Gradcam-Method") == method)
                // Like the overlay, the guided image has the upload's size (37x23).
                #expect(Fixture.pngSize(reply.body).map { $0.width == 37 && $0.height == 23 } == true)
            }
        }
    }

    @Test func jsonIsTheDocumentOfTheCLI() async throws {
        try await withSharedService { port in
            let target = "/gradcam?model=vgg16_small&format=json&class=5,17&class=250&layer=/features/features.22/Relu_output_0&top=3"
            let reply = try await post(port, target, raw: Fixture.png, contentType: "image/png")
            #expect(reply.status == 200)
            #expect(reply.header("Content-Type") == "application/json")
            let expected: [UInt8] = try await onThread {
                var registry = try ModelRegistry(directory: Fixture.modelsDirectory)
                registry.loadAll(only: ["vgg16_small"])
                var options = ExplainOptions()
                options.classes = ["5", "17", "250"]
                options.layers = ["/features/features.22/Relu_output_0"]
                options.top = 3
                let output = try ExplainSession(threads: 1).explain(Fixture.png, model: registry.model(named: "vgg16_small"),
                                                                    options: options, render: false)
                return try DocumentEncoding.json(output.document)
            }
            #expect(reply.body == expected)
            let document = try JSONDecoder().decode(ExplanationDocument.self, from: Data(reply.body))
            #expect(document.explanations.map(\.classIndex) == [5, 17, 250])
            #expect(document.predictions.count == 3)
            #expect(document.image.width == 37 && document.image.height == 23)
        }
    }

    @Test func predictIsTheDocumentOfTheCLI() async throws {
        try await withSharedService { port in
            let reply = try await post(port, "/predict?top=4", form: Form(image: Fixture.jpeg, fields: [("model", "alexnet_small")]))
            #expect(reply.status == 200)
            #expect(reply.header("Content-Type") == "application/json")
            let expected: [UInt8] = try await onThread {
                var registry = try ModelRegistry(directory: Fixture.modelsDirectory)
                registry.loadAll(only: ["alexnet_small"])
                let (document, _) = try ExplainSession(threads: 1).predict(Fixture.jpeg, model: registry.model(named: "alexnet_small"), top: 4)
                return try DocumentEncoding.json(document)
            }
            #expect(reply.body == expected)
            #expect(reply.header("Server-Timing")?.hasPrefix("decode;dur=") == true)
        }
    }

    @Test func classesAreIndicesOrLabels() async throws {
        try await withSharedService { port in
            // Without a labels file the labels are the indices' text; "0012" is index 12.
            let reply = try await post(port, "/gradcam?model=vgg16_small&format=json&class=0012", raw: Fixture.png, contentType: "image/png")
            #expect(reply.status == 200)
            let document = try JSONDecoder().decode(ExplanationDocument.self, from: Data(reply.body))
            #expect(document.explanations.map(\.classIndex) == [12])
        }
    }

    @Test func alphaAndColormapChangeTheOverlay() async throws {
        try await withSharedService { port in
            var bodies: Set<[UInt8]> = []
            for query in ["alpha=0.5&colormap=jet", "alpha=0.9&colormap=jet", "alpha=0.5&colormap=gray"] {
                let reply = try await post(port, "/gradcam?model=vgg16_small&class=1&\(query)", raw: Fixture.png, contentType: "image/png")
                #expect(reply.status == 200)
                bodies.insert(reply.body)
            }
            #expect(bodies.count == 3)
        }
    }

    @Test func everyMethodAnswersJSONWithNullablePeakAndBox() async throws {
        try await withSharedService { port in
            for method in ["gradcam++", "eigencam", "guided-gradcam"] {
                let target = "/gradcam?model=alexnet_small&format=json&method=\(method.replacingOccurrences(of: "+", with: "%2B"))"
                let reply = try await post(port, target, raw: Fixture.png, contentType: "image/png")
                #expect(reply.status == 200, "\(method): \(reply.text)")
                // Parsed off the cooperative pool: a guided map is 3 x 224 x 224 numbers.
                let body = reply.body
                let (name, keys, peakIsNull, zero, hasChannels) = try await onThread {
                    let object = try JSONSerialization.jsonObject(with: Data(body)) as! [String: Any]
                    let entry = (object["explanations"] as! [[String: Any]])[0]
                    let map = entry["map"] as! [String: Any]
                    return (object["method"] as? String, Set(entry.keys), entry["peak"] is NSNull, entry["zero"] as? Bool == true, map["channels"] != nil)
                }
                #expect(name == method)
                // Every key is always present; peak and box are null exactly when the map is zero.
                #expect(keys == ["class", "label", "score", "logit", "map", "peak", "box", "zero"])
                #expect(peakIsNull == zero)
                #expect(hasChannels == (method == "guided-gradcam"))
            }
        }
    }

    /// FullGrad has no layer but a class map at the input's resolution: the PNG is its overlay
    /// and the JSON map a 1-channel 224 x 224 plane.
    @Test func fullGradAnswersAnOverlayAndAnInputSizedMap() async throws {
        try await withSharedService { port in
            let png = try await post(port, "/gradcam?model=vgg16_small&method=fullgrad&class=3", raw: Fixture.png, contentType: "image/png")
            #expect(png.status == 200, "\(png.text)")
            #expect(Fixture.pngSize(png.body).map { $0.width == 37 && $0.height == 23 } == true)
            let json = try await post(port, "/gradcam?model=vgg16_small&method=fullgrad&class=3&format=json", raw: Fixture.png,
                                      contentType: "image/png")
            #expect(json.status == 200)
            let document = try JSONDecoder().decode(ExplanationDocument.self, from: Data(json.body))
            let map = try #require(document.explanations.first?.map)
            #expect(map.channels == nil && map.width == 224 && map.height == 224)
        }
    }

    /// `dff` on a layer without a global-average-pool + linear head is a 4xx naming what is missing.
    @Test func dffRefusesALayerWithoutALinearHead() async throws {
        try await withSharedService { port in
            let reply = try await post(port, "/gradcam?model=vgg16_small&method=dff&format=json", raw: Fixture.png, contentType: "image/png")
            #expect((400..<500).contains(reply.status), "\(reply.status) \(reply.text)")
            #expect(reply.text.contains("linear head"))
        }
    }
}
