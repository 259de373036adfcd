import Foundation
import Pipeline
import TestSupport
import Testing

/// FinerCAM's, KPCA-CAM's and DFF's own parameters over HTTP: a bad value gets a 400 naming the
/// parameter and what is accepted; good values are used and reported in the document.
@Suite(.timeLimit(.minutes(2))) struct MethodParameterEndpointTests {
    static let refusals: [(query: String, message: String)] = [
        ("method=finercam&comparison_alpha=12", "parameter 'comparison_alpha': '12' is not a number in 0.0...10.0"),
        ("method=finercam&comparison_categories=1,0", "parameter 'comparison_categories': '0' is not an integer in 1...100000"),
        ("method=finercam&comparison_categories=2,2", "comparison_categories must not repeat a rank, got 2,2"),
        ("method=finercam&comparison_categories=1000", "comparison_categories: rank 1000 is not below the model's 1000 classes"),
        ("method=kpcacam&kernel=laplacian", "parameter 'kernel': 'laplacian' is not one of sigmoid, rbf, linear, poly, cosine"),
        ("method=kpcacam&gamma=-1", "parameter 'gamma': '-1' is not a number in 0.0...1000000.0"),
        ("method=dff&n_components=65", "parameter 'n_components': '65' is not an integer in 1...64"),
        ("method=dff&concept_classes=0", "parameter 'concept_classes': '0' is not an integer in 1...1000"),
    ]

    @Test(arguments: refusals.indices)
    func refusesNamingTheParameterAndTheRange(_ i: Int) async throws {
        let (query, message) = Self.refusals[i]
        try await withSharedService { port in
            let reply = try await post(port, "/gradcam?model=vgg16_small&format=json&" + query, raw: Fixture.png, contentType: "image/png")
            #expect(reply.status == 400, "\(reply.text)")
            #expect(reply.errorCode == "invalid_parameter")
            #expect(reply.text.contains(message), "\(reply.text)")
        }
    }

    /// The document's `parameters` (as sorted JSON) name the method's own values only; a
    /// method ignores the others' parameters, as it ignores `steps`.
    @Test func reportsTheValuesUsed() async throws {
        let cases: [(query: String, parameters: String?)] = [
            ("method=finercam&comparison_alpha=0.5&comparison_categories=1,4", #"{"comparison_alpha":0.5,"comparison_categories":"1,4"}"#),
            ("method=kpcacam&kernel=rbf&gamma=0.25", #"{"gamma":0.25,"kernel":"rbf"}"#),
            ("method=kpcacam&kernel=cosine&gamma=0.25", #"{"kernel":"cosine"}"#),
            ("method=gradcam&kernel=rbf&comparison_alpha=2&n_components=3", nil),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        try await withSharedService { port in
            for (query, expected) in cases {
                let reply = try await post(port, "/gradcam?model=vgg16_small&format=json&" + query, raw: Fixture.png, contentType: "image/png")
                #expect(reply.status == 200, "\(reply.text.prefix(300))")
                let document = try JSONDecoder().decode(ExplanationDocument.self, from: Data(reply.body))
                let reported = try document.parameters.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
                #expect(reported == expected, "\(query)")
            }
        }
    }
}
