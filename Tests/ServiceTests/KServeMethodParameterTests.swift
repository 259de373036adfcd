import Foundation
import TestSupport
import Testing

/// The method parameters through KServe V1's `:explain` and V2's `infer` `parameters`: the
/// names, the checks and the 400 messages of `POST /gradcam` (one parsing path), JSON numbers,
/// booleans, strings (and, in V1, arrays for the lists) as the protocols carry them, and the
/// document reporting the values the method used.
@Suite(.timeLimit(.minutes(2))) struct KServeMethodParameterTests {
    /// `POST /gradcam?format=json&<query>` on `image`.
    private func direct(_ port: Int, _ query: String, _ image: [UInt8] = Fixture.png) async throws -> WireResponse {
        try await post(port, "/gradcam?model=vgg16_small&format=json&" + query, raw: image, contentType: "image/png")
    }

    private func v1Explain(_ port: Int, _ parameters: [String: Any]) async throws -> WireResponse {
        try await KServeClient.post(port, "/v1/models/vgg16_small:explain",
                                    json: ["instances": [["b64": KServeClient.base64(Fixture.png)]], "parameters": parameters])
    }

    private func v2Infer(_ port: Int, _ parameters: [String: Any]) async throws -> WireResponse {
        try await KServeClient.post(port, "/v2/models/vgg16_small/infer", json: [
            "parameters": parameters, "outputs": [["name": "explanation"]],
            "inputs": [["name": "image", "datatype": "BYTES", "shape": [1], "data": [KServeClient.base64(Fixture.png)]]],
        ])
    }

    /// The one document of a V2 answer's `explanation` output.
    private func inferred(_ reply: WireResponse) throws -> [String: Any] {
        let outputs = try #require(KServeClient.object(reply)["outputs"] as? [[String: Any]])
        let element = try #require((outputs.first?["data"] as? [String])?.first)
        return try #require(try JSONSerialization.jsonObject(with: Data(element.utf8)) as? [String: Any])
    }

    @Test func v1ExplainUsesAndReportsTheMethodParameters() async throws {
        try await withSharedService { port in
            let cases: [(parameters: [String: Any], query: String, reported: NSDictionary)] = [
                (["method": "integrated-gradients", "steps": 8, "baseline": "blurred"],
                 "method=integrated-gradients&steps=8&baseline=blurred", ["steps": 8, "baseline": "blurred", "quadrature": "gausslegendre"]),
                (["method": "finercam", "comparison_alpha": 0.5, "comparison_categories": [1, 4], "eigen_smooth": true],
                 "method=finercam&comparison_alpha=0.5&comparison_categories=1,4&eigen_smooth=true",
                 ["comparison_alpha": 0.5, "comparison_categories": "1,4", "eigen_smooth": true]),
            ]
            for (parameters, query, reported) in cases {
                let reply = try await v1Explain(port, parameters)
                #expect(reply.status == 200, "\(reply)")
                let documents = try #require(KServeClient.object(reply)["explanations"] as? [[String: Any]])
                #expect(documents.count == 1)
                #expect(documents.first?["parameters"] as? NSDictionary == reported, "\(query)")
                let expected = KServeClient.object(try await direct(port, query))
                #expect(documents.first.map { $0 as NSDictionary } == expected as NSDictionary, "\(query)")
            }
        }
    }

    @Test func v2InferUsesAndReportsTheMethodParameters() async throws {
        try await withSharedService { port in
            let reply = try await v2Infer(port, ["method": "integrated-gradients", "steps": 8, "class": 3])
            #expect(reply.status == 200, "\(reply)")
            let document = try inferred(reply)
            #expect(document["parameters"] as? NSDictionary == ["steps": 8, "baseline": "black", "quadrature": "gausslegendre"])
            let expected = KServeClient.object(try await direct(port, "method=integrated-gradients&steps=8&class=3&top=5"))
            #expect(document as NSDictionary == expected as NSDictionary)
        }
    }

    /// A seed above 2⁵³ sent as a JSON number is used exactly, as the same digits in the query
    /// (a Double would round 2⁵³ + 1 to 2⁵³ and refuse 2⁶⁴ − 1 as out of range).
    @Test(arguments: [UInt64(1) << 53 + 1, UInt64.max])
    func aLargeSeedAsAJSONNumberIsExact(seed: UInt64) async throws {
        try await withSharedService { port in
            let parameters: [String: Any] = ["method": "smoothgrad", "samples": 2, "seed": seed, "class": 3]
            let query = "method=smoothgrad&samples=2&seed=\(seed)&class=3"
            let expected = KServeClient.object(try await direct(port, query))
            let reported = (expected["parameters"] as? [String: Any])?["seed"] as? NSNumber
            #expect(reported?.uint64Value == seed, "\(expected)")
            let v1 = try await v1Explain(port, parameters)
            #expect(v1.status == 200, "\(v1)")
            let documents = try #require(KServeClient.object(v1)["explanations"] as? [[String: Any]])
            #expect(documents.first.map { $0 as NSDictionary } == expected as NSDictionary)
            let v2 = try await v2Infer(port, parameters)
            #expect(v2.status == 200, "\(v2)")
            let expectedV2 = KServeClient.object(try await direct(port, query + "&top=5"))
            #expect(try inferred(v2) as NSDictionary == expectedV2 as NSDictionary)
        }
    }

    /// A bad value is refused with `POST /gradcam`'s message for the same value (its query
    /// text; the V2 value a scalar, the V1 value as JSON carries it).
    @Test(arguments: [
        ("steps=0", ["steps": 0], ["steps": 0]),
        ("steps=many", ["steps": "many"], ["steps": "many"]),
        ("steps=2.5", ["steps": 2.5], ["steps": 2.5]),
        ("method=finercam&comparison_alpha=12", ["method": "finercam", "comparison_alpha": 12], ["method": "finercam", "comparison_alpha": 12]),
        ("method=finercam&comparison_categories=1,0", ["method": "finercam", "comparison_categories": [1, 0]], ["method": "finercam", "comparison_categories": "1,0"]),
        ("method=smoothgrad&base_method=magic", ["method": "smoothgrad", "base_method": "magic"], ["method": "smoothgrad", "base_method": "magic"]),
        ("aug_smooth=maybe", ["aug_smooth": "maybe"], ["aug_smooth": "maybe"]),
        ("seed=-1", ["seed": -1], ["seed": -1]),
    ] as [(String, [String: any Sendable], [String: any Sendable])])
    func refusesABadValueAsPostGradcamDoes(query: String, v1: [String: any Sendable], v2: [String: any Sendable]) async throws {
        try await withSharedService { port in
            let expected = try await direct(port, query)
            #expect(expected.status == 400, "\(expected)")
            let message = try #require((KServeClient.object(expected)["error"] as? [String: Any])?["message"] as? String)
            for reply in [try await v1Explain(port, v1), try await v2Infer(port, v2)] {
                #expect(reply.status == 400, "\(reply)")
                #expect(KServeClient.error(reply) == message, "\(reply)")
            }
        }
    }

    /// An unknown name is refused on all three, listing the same accepted explanation
    /// parameters (`POST /gradcam` also takes the model and the PNG answer's).
    @Test func refusesAnUnknownNameListingTheAcceptedOnes() async throws {
        try await withSharedService { port in
            for reply in [try await v1Explain(port, ["stepz": 8]), try await v2Infer(port, ["stepz": 8])] {
                #expect(reply.status == 400, "\(reply)")
                let message = try #require(KServeClient.error(reply))
                #expect(message.hasPrefix("unknown parameter 'stepz'; accepted: aug_smooth, base_method, baseline, box, class, comparison_alpha, comparison_categories, concept_classes, dilate, eigen_smooth, gamma, kernel, layer, method, metrics, metrics_seed, n_components, noise_level, samples, seed, steps, stride, top, window"), "\(message)")
            }
            let direct = try await direct(port, "stepz=8")
            #expect(direct.status == 400)
            #expect(direct.errorCode == "unknown_parameter")
        }
    }
}
