import Foundation
import Testing
import ONNX
import Tensor
@testable import Explain

/// ShapleyCAM against pytorch-grad-cam (1.5.7, exact autograd Hessian-vector product) at layers
/// whose head has a second derivative, where our `H·A` is a central difference: the 32 x 32
/// mobilenetv3 (HardSwish), ConvNeXt (GELU, LayerNorm) and EfficientNet (SiLU, a Sigmoid
/// squeeze-and-excitation) idioms, and at a layer followed by pooling and Linear only, where it
/// is exactly 0 (`tools/fixtures/make_shapleycam_fixtures.py` writes `explain/shapleycam.json`).
/// Pearson r >= 0.999 and the normalized maps within `tolerance` of the library's.
@Suite struct ShapleyCAMAgreementTests {
    /// A record, and how our document must say `H·A` was computed there.
    struct Case: CustomTestStringConvertible {
        let record: ReferenceRecord
        let hessian: String
        var testDescription: String { record.testDescription }
    }

    static let cases: [Case] = {
        struct Note: Decodable { let hessian: String }
        struct Notes: Decodable { let records: [Note] }
        let data = try! Data(contentsOf: References.folder.appendingPathComponent("shapleycam.json"))
        let records = try! JSONDecoder().decode(References.Index.self, from: data).records
        let notes = try! JSONDecoder().decode(Notes.self, from: data).records
        return zip(records, notes).map { Case(record: $0, hessian: $1.hessian) }
    }()

    /// Largest |difference| allowed between our normalized map and the library's.
    static let tolerance: Float = 1e-3

    static func explain(_ record: ReferenceRecord, _ method: Method) throws -> Explanation {
        let (model, input) = try References.model(record)
        return try Explainer(model: model).explain(input, method: method, classes: [record.class!],
                                                   layers: [try model.layer(named: record.layerTensor!)])
    }

    @Test(arguments: cases)
    func mapsAgreeWithTheLibrarysAutograd(_ test: Case) throws {
        let result = try Self.explain(test.record, .shapleycam)
        let expected = try test.record.tensor("normalized")
        let ours = result.classes[0].heatmap
        #expect([ours.height, ours.width] == expected.shape)
        let r = pearson(ours.values, expected.floats)
        let worst = zip(ours.values, expected.floats).map { abs($0 - $1) }.max() ?? 0
        #expect(r >= 0.999, "Pearson r = \(r), required 0.999")
        #expect(worst <= Self.tolerance, "max |difference| = \(worst), allowed \(Self.tolerance)")
        var reported: [String: ParameterValue] = ["hessian": .string(test.hessian)]
        if test.hessian == "central-difference" { reported["hessian_step"] = .number(Double(ShapleyCAM.step)) }
        expectReported(result.parameters, reported)
    }

    /// Where `H·A` is not 0, Grad-CAM's map (ShapleyCAM without it) is farther from the library's
    /// ShapleyCAM than the tolerance: the agreement above is the Hessian term's.
    @Test(arguments: cases.filter { $0.hessian == "central-difference" })
    func theHessianTermMovesTheMap(_ test: Case) throws {
        let gradcam = try Self.explain(test.record, .gradcam).classes[0].heatmap
        let expected = try test.record.tensor("normalized")
        let worst = zip(gradcam.values, expected.floats).map { abs($0 - $1) }.max() ?? 0
        #expect(worst > 4 * Self.tolerance, "Grad-CAM is within \(worst) of ShapleyCAM")
    }

    /// The central difference costs one forward pass from the layer and one backward pass for
    /// the `2K` scaled copies of `A` (they fit one batch here); a piecewise-linear head none.
    @Test func theCentralDifferenceIsOneBatchedPass() throws {
        for test in [Self.cases.first { $0.hessian == "central-difference" }, Self.cases.first { $0.hessian != "central-difference" }] {
            let record = try #require(test?.record)
            let (model, input) = try References.model(record)
            let layer = try model.layer(named: record.layerTensor!)
            let explainer = Explainer(model: model)
            #expect(explainer.layerBatchSize(layer) >= 4)
            let extra = test!.hessian == "central-difference" ? 1 : 0
            let (forward, backward) = (explainer.forwardCount, explainer.backwardCount)
            _ = try explainer.explain(input, method: .shapleycam, classes: [record.class!, 0], layers: [layer])
            #expect(explainer.forwardCount - forward == 1 + extra, "\(record.case) \(record.layer!)")
            #expect(explainer.backwardCount - backward == 1 + extra, "\(record.case) \(record.layer!)")
        }
    }

    /// The gradients from passes that start at the layer, fed the layer's own activations, are
    /// the explained pass's; a batch gives each row its own class's gradient.
    @Test func gradientsFromTheLayerAreTheFullPasss() throws {
        let record = try #require(Self.cases.first { $0.hessian == "central-difference" }?.record)
        let (model, input) = try References.model(record)
        let layer = try model.layer(named: record.layerTensor!)
        let explainer = Explainer(model: model)
        let full = try explainer.layerEvidence(of: input, classes: [3, 7], layers: [layer])[0][0]
        let a = full.activations
        let batch = Tensor(shape: [2, a.channels, a.height, a.width], floats: a.values + a.values)
        let fromLayer = try explainer.layerGradients(from: layer, activations: batch, classes: [3, 7])
        let g = try full.requireGradients()
        let scale = g.map(abs).max()!
        #expect(fromLayer.shape == [2, a.channels, a.height, a.width])
        #expect(zip(fromLayer.floats, g).map { abs($0 - $1) }.max()! <= 1e-5 * scale)
    }

    /// The EfficientNet idiom this suite adds runs as onnxruntime runs it.
    @Test func theEfficientNetIdiomsLogitsAreOnnxruntimes() throws {
        let record = try #require(Self.cases.first { $0.record.case == "efficientnet_idiom" }?.record)
        let (model, input) = try References.model(record)
        let logits = try Explainer(model: model).predict(input)
        let expected = try TensorFile.read(References.folder.appendingPathComponent("shapleycam/efficientnet_idiom/logits.pb").path)
        let largest = expected.floats.map(abs).max()!
        #expect(zip(logits, expected.floats).map { abs($0 - $1) }.max()! <= 1e-4 * largest)
    }

    /// A layer followed by piecewise-linear operators only gives Grad-CAM's map, with no extra
    /// pass; a Softmax after the scores (bvlcalexnet) does not count.
    @Test func afterPiecewiseLinearOperatorsTheMapIsGradCAMs() throws {
        let (bvlc, input) = try References.model(.bvlc)
        let explainer = Explainer(model: bvlc)
        let shapley = try explainer.explain(input, method: .shapleycam, classes: nil, layers: [bvlc.defaultLayer])
        let gradcam = try explainer.explain(input, method: .gradcam, classes: nil, layers: [bvlc.defaultLayer])
        #expect(shapley.classes[0].heatmap == gradcam.classes[0].heatmap)
        #expect(shapley.parameters == ["hessian": .string("zero (piecewise-linear head)")])
    }

    /// A layer with a second-derivative head and a skip connection around it (inside a
    /// residual block) cannot start the passes the central difference needs: refused, naming
    /// the curved operator and the skip.
    @Test func aCurvedHeadAroundASkipIsRefused() throws {
        let record = try #require(Self.cases.first { $0.record.case == "mobilenetv3_idiom" }?.record)
        let (model, input) = try References.model(record)
        let inner = try model.layer(named: "/features/features.2/block/block.1/block.1.2/HardSwish_output_0")
        #expect {
            try Explainer(model: model).explain(input, method: .shapleycam, classes: nil, layers: [inner])
        } throws: { error in
            guard case .unsupportedModel(let reason) = error as? ExplainError else { return false }
            return reason.contains("second derivative") && reason.contains("cannot start at the layer '\(inner.name)'")
        }
    }
}
