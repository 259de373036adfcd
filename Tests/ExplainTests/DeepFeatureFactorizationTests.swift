import Foundation
import Testing
import Tensor
@testable import Explain

/// Deep Feature Factorization against pytorch-grad-cam's `DeepFeatureFactorization` (1.5.7,
/// scikit-learn 1.9's NMF) on resnet18 at `layer4` and `activation_idiom` at `features`, the
/// library's NMF started from our seeded draws (`tools/fixtures/make_fullgrad_dff_fixtures.py`):
/// concept `j` is the library's concept `j` (same start, same updates, so no matching is
/// needed), and scikit-learn runs in float64 as ours does (the script says why); each concept's
/// map, resized as the library resizes it, has Pearson r >= 0.999 with the library's and is
/// within 5e-3 per pixel; the head's logits for each concept are within 1e-3 of the library's
/// (relative to their largest magnitude), so the top classes agree.
/// The same with 3 and 8 concepts (`make_method_parameter_fixtures.py`'s `n_components`).
@Suite struct DeepFeatureFactorizationTests {
    static let records = (FullGradAgreementTests.records + PytorchGradCAMMoreMethodsAgreementTests.parameterRecords).filter { $0.kind == "dff" }

    @Test(arguments: records)
    func conceptsAgree(_ record: ReferenceRecord) throws {
        let (model, input) = try References.model(record)
        let result = try Explainer(model: model).explain(input, method: .dff, classes: [0, 1],
                                                         layers: [try model.layer(named: record.layerTensor!)],
                                                         parameters: record.methodParameters)
        let maps = try record.tensor("maps"), logits = try record.tensor("logits")
        let concepts = try #require(result.classes[0].concepts)
        let (k, height, width) = (maps.shape[0], maps.shape[1], maps.shape[2])
        #expect(concepts.count == k)
        let classCount = logits.shape[1]
        for (j, concept) in concepts.enumerated() {
            let expected = Array(maps.floats[j * height * width ..< (j + 1) * height * width])
            // The library normalizes each map, then resizes it (no normalization after).
            let ours = concept.heatmap.plane.resized(width: width, height: height).values
            let r = pearson(ours, expected)
            let worst = zip(ours, expected).map { abs($0 - $1) }.max() ?? 0
            #expect(r >= 0.999, "concept \(j): Pearson r = \(r)")
            #expect(worst <= 5e-3, "concept \(j): max |difference| = \(worst)")
            let reference = Array(logits.floats[j * classCount ..< (j + 1) * classCount])
            let scale = reference.map(abs).max() ?? 1
            let logitError = zip(concept.logits, reference).map { abs($0 - $1) }.max() ?? 0
            #expect(logitError <= 1e-3 * scale, "concept \(j): logits differ by \(logitError) (largest \(scale))")
        }
        // Every class's map is the map of the concept its logit is largest in.
        for item in result.classes {
            let best = concepts.indices.max { concepts[$0].logits[item.classIndex] < concepts[$1].logits[item.classIndex] }!
            #expect(item.heatmap == concepts[best].heatmap)
            #expect(item.concepts?.count == k)
        }
        #expect(result.parameters == ["n_components": .int(k), "concept_classes": .int(2), "seed": .int(0)])
    }

    /// Another seed starts the factorization elsewhere, and the document says which.
    @Test func theSeedIsReported() throws {
        let record = try #require(Self.records.first)
        let (model, input) = try References.model(record)
        var parameters = MethodParameters()
        parameters.seed = 7
        let layer = try model.layer(named: record.layerTensor!)
        let explainer = Explainer(model: model)
        let seven = try explainer.explain(input, method: .dff, classes: [0], layers: [layer], parameters: parameters)
        let zero = try explainer.explain(input, method: .dff, classes: [0], layers: [layer])
        #expect(seven.parameters["seed"] == .int(7))
        #expect(seven.classes[0].concepts!.map(\.heatmap) != zero.classes[0].concepts!.map(\.heatmap))
    }

    /// A layer without a global-average-pool + linear head after it (VGG16's `relu5_3`, and
    /// MobileNetV3's head with a Hardswish between its linear layers) is refused, saying why.
    @Test(arguments: [("vgg16_small", "/features/features.29/Relu_output_0"),
                      ("mobilenetv3_idiom", "/features/features.3/features.3.2/HardSwish_output_0")])
    func refusesALayerWithoutALinearHead(_ case: (String, String)) throws {
        let record = try #require(FullGradAgreementTests.records.first { $0.case == `case`.0 })
        let (model, input) = try References.model(record)
        #expect {
            try Explainer(model: model).explain(input, method: .dff, classes: [0], layers: [try model.layer(named: `case`.1)])
        } throws: { error in
            guard case .noClassActivationHead = error as? ExplainError else { return false }
            return "\(error)".contains("linear head")
        }
    }

    /// More concepts than the layer has channels are refused, naming the count.
    @Test func refusesMoreComponentsThanChannels() throws {
        let record = try #require(Self.records.first { $0.case == "activation_idiom" })
        let (model, input) = try References.model(record)
        let layer = try model.layer(named: record.layerTensor!)
        var parameters = MethodParameters()
        parameters.nComponents = layer.channels + 1
        #expect(throws: ExplainError.invalidParameter("n_components must be at most the layer's \(layer.channels) channels (each concept is a mix of channels), got \(layer.channels + 1)")) {
            try Explainer(model: model).explain(input, method: .dff, classes: [0], layers: [layer], parameters: parameters)
        }
    }

    /// Two layers at once are refused: the factorization is of one layer.
    @Test func refusesSeveralLayers() throws {
        let record = try #require(Self.records.first { $0.case == "resnet18_small" })
        let (model, input) = try References.model(record)
        let layers = [try model.layer(named: record.layerTensor!), model.defaultLayer]
        #expect(throws: ExplainError.invalidParameter("dff factorizes one layer at a time; 2 were given")) {
            try Explainer(model: model).explain(input, method: .dff, classes: [0], layers: layers)
        }
    }

    /// The factorization itself: from any start it lowers ‖V − W·H‖ and keeps W, H ≥ 0; a
    /// zero matrix gives zero factors.
    @Test func factorizationDescends() throws {
        var generator = WeightGenerator(seed: 3)
        let (m, n, k) = (6, 10, 3)
        let v = (0..<m * n).map { _ in Double(abs(generator.normal())) }
        let start = try NonnegativeFactorization(v, rows: m, columns: n, components: k, seed: 1, maxIterations: 0)
        let fitted = try NonnegativeFactorization(v, rows: m, columns: n, components: k, seed: 1)
        #expect(fitted.iterations > 1)
        #expect(Self.squaredError(v, fitted, m, n, k) < Self.squaredError(v, start, m, n, k) / 2)
        #expect(fitted.w.allSatisfy { $0 >= 0 } && fitted.h.allSatisfy { $0 >= 0 })
        let zero = try NonnegativeFactorization([Double](repeating: 0, count: m * n), rows: m, columns: n, components: k, seed: 1)
        #expect(zero.w.allSatisfy { $0 == 0 } && zero.h.allSatisfy { $0 == 0 } && zero.iterations == 1)
    }

    /// `‖V − W·H‖²`.
    private static func squaredError(_ v: [Double], _ f: NonnegativeFactorization, _ m: Int, _ n: Int, _ k: Int) -> Double {
        var total = 0.0
        for i in 0..<m {
            for p in 0..<n {
                let product = (0..<k).reduce(0.0) { $0 + f.w[i * k + $1] * f.h[$1 * n + p] }
                total += (v[i * n + p] - product) * (v[i * n + p] - product)
            }
        }
        return total
    }
}
