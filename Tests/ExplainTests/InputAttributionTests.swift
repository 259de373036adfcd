import Foundation
import Testing
import Tensor
@testable import Explain

/// The Captum methods beyond their references (`CaptumAgreementTests`): several classes from
/// shared passes, batches against one input at a time, graphs that cannot batch, seeds,
/// the parameters reported, what only a method can refuse, and the quadrature.
@Suite struct InputAttributionTests {
    static let noisy: [Method] = [.integratedGradients, .gradientShap, .smoothgrad, .vargrad, .occlusion]

    private func idiom() throws -> (ExplainableModel, Tensor) { try References.model(.mobilenetIdiom) }

    private func attributions(_ explanation: Explanation) -> [[Float]] {
        explanation.classes.map { $0.attributions[0].values.floats }
    }

    private func parameters(seed: UInt64? = nil, baseline: MethodParameters.Baseline? = nil) -> MethodParameters {
        var p = MethodParameters()
        p.seed = seed
        p.baseline = baseline
        p.samples = 6
        p.steps = 9
        p.window = 4
        p.noiseLevel = 0.4
        return p
    }

    /// Two classes in one request share the passes and equal each class explained alone;
    /// batches of 4 equal one input at a time (up to the rounding of batched products).
    @Test(arguments: noisy)
    func classesAndBatchesAgreeWithOneAtATime(_ method: Method) throws {
        let (model, input) = try idiom()
        let p = parameters(baseline: .uniformNoise)
        let together = attributions(try Explainer(model: model).explain(input, method: method, classes: [3, 7], layers: [], parameters: p))
        let single = Explainer(model: model)
        single.scoreBatchSize = 1
        let alone = try [3, 7].map { attributions(try single.explain(input, method: method, classes: [$0], layers: [], parameters: p))[0] }
        for (a, b) in zip(together, alone) {
            let scale = b.map(abs).max() ?? 0
            #expect(scale > 0)
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-4 * scale, "max |difference| \(worst) for values up to \(scale)")
        }
    }

    /// The zoo's AlexNet reshapes to `[1, -1]`: integrated gradients falls back to one input
    /// at a time and gives what an explainer that never batches gives.
    @Test func aGraphThatCannotBatchRunsOneInputAtATime() throws {
        let (model, input) = try References.model(.bvlc)
        var p = MethodParameters()
        p.steps = 3
        let explainer = Explainer(model: model)
        let batched = try explainer.explain(input, method: .integratedGradients, classes: [1], layers: [], parameters: p)
        #expect(explainer.scoreBatchSize == 1)
        let single = Explainer(model: model)
        single.scoreBatchSize = 1
        let alone = try single.explain(input, method: .integratedGradients, classes: [1], layers: [], parameters: p)
        #expect(attributions(batched) == attributions(alone))
    }

    /// The same seed gives the same map; another seed another one; the document reports it.
    @Test(arguments: [Method.smoothgrad, .vargrad, .gradientShap])
    func theSeedDecidesTheNoise(_ method: Method) throws {
        let (model, input) = try idiom()
        let explainer = Explainer(model: model)
        let first = try explainer.explain(input, method: method, classes: [2], layers: [], parameters: parameters(seed: 42))
        let again = try explainer.explain(input, method: method, classes: [2], layers: [], parameters: parameters(seed: 42))
        let other = try explainer.explain(input, method: method, classes: [2], layers: [], parameters: parameters(seed: 43))
        #expect(attributions(first) == attributions(again))
        #expect(attributions(first) != attributions(other))
        #expect(first.parameters["seed"] == .int(42))
        #expect(first.parameters["samples"] == .int(6))
    }

    /// Each method reports the values it used, Captum's defaults filled in.
    @Test func theDefaultsAreReported() {
        let none = MethodParameters()
        #expect(Method.integratedGradients.implementation.parameters(none) ==
                ["steps": .int(50), "baseline": .string("black"), "quadrature": .string("gausslegendre")])
        #expect(Method.smoothgrad.implementation.parameters(none) ==
                ["samples": .int(5), "noise_level": .number(1), "seed": .int(0), "base_method": .string("saliency")])
        #expect(Method.gradientShap.implementation.parameters(none) ==
                ["samples": .int(5), "noise_level": .number(0), "baseline": .string("black"), "seed": .int(0)])
        #expect(Method.occlusion.implementation.parameters(none) == ["window": .int(16), "stride": .int(8)])
        #expect(Method.saliency.implementation.parameters(none).isEmpty)
    }

    /// A window larger than the 224 x 224 input, a stride larger than the window, or more
    /// positions than a request may score (223² for a window of 2 at stride 1), is a client
    /// error naming what is accepted.
    @Test(arguments: [(225, 1, "larger than the model's input"), (4, 5, "at most the window"), (2, 1, "at most 4096")])
    func occlusionRefusesWhatItCannotDo(_ window: Int, _ stride: Int, _ message: String) throws {
        let (model, input) = try References.model(.bvlc)
        var p = MethodParameters()
        p.window = window
        p.stride = stride
        #expect {
            try Explainer(model: model).explain(input, method: .occlusion, classes: [1], layers: [], parameters: p)
        } throws: { error in
            guard case .invalidParameter(let reason) = error as? ExplainError else { return false }
            return reason.contains(message)
        }
    }

    /// `base_method` takes the gradient attributions only: anything else is refused with the
    /// accepted names, before and during the explanation; the one used is reported.
    @Test func theNoiseTunnelTakesGradientAttributionsOnly() throws {
        #expect(MethodParameters.baseMethodNames == ["saliency", "input-x-gradient", "deconvolution"])
        let (model, input) = try idiom()
        for name in ["integrated-gradients", "gradcam", "occlusion", "lime", ""] {
            var p = MethodParameters()
            p.baseMethod = name
            #expect { try p.validate() } throws: { error in
                guard case .invalidParameter(let reason) = error as? ExplainError else { return false }
                return reason.contains("saliency, input-x-gradient, deconvolution") && reason.contains("'\(name)'")
            }
            #expect(throws: ExplainError.self) {
                try Explainer(model: model).explain(input, method: .vargrad, classes: [1], layers: [], parameters: p)
            }
        }
        var p = MethodParameters()
        p.baseMethod = "deconvolution"
        try p.validate()
        #expect(Method.smoothgrad.implementation.parameters(p)["base_method"] == .string("deconvolution"))
    }

    /// Gauss–Legendre on [0, 1] is exact for polynomials of degree 2n − 1 (here `t^(2n−1)`,
    /// whose integral is `1/(2n)`), its weights sum to 1 and its points are symmetric.
    @Test(arguments: [1, 2, 7, 50, 51])
    func gaussLegendreIsExact(_ n: Int) {
        let (points, weights) = GaussLegendre.unitInterval(n)
        #expect(abs(weights.reduce(0, +) - 1) < 1e-12)
        let integral = zip(points, weights).reduce(0.0) { $0 + $1.1 * pow($1.0, Double(2 * n - 1)) }
        #expect(abs(integral - 1 / Double(2 * n)) < 1e-10)
        for i in 0..<n { #expect(abs(points[i] + points[n - 1 - i] - 1) < 1e-12) }
        #expect(zip(points, points.dropFirst()).allSatisfy { $0 < $1 })
    }
}

extension ReferenceRecord {
    /// The MobileNetV3 idiom case: 32 x 32 inputs, ReLU and Hardswish, 10 classes.
    static let mobilenetIdiom = ReferenceRecord(
        case: "mobilenetv3_idiom", model: "../models/mobilenetv3_idiom/model.onnx",
        input: "../models/mobilenetv3_idiom/test_data_set_0/input_0.pb", kind: "model", method: nil,
        layer: nil, layerTensor: nil, class: nil, files: [:])
}
