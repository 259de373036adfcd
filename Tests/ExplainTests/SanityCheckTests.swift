import Foundation
import ONNX
import Testing
import Tensor
@testable import Explain

/// Cascading randomization: which layers, in which order, drawn how, and that a step replaces
/// exactly the layers it names (on the small VGG16 and ResNet18 fixtures).
@Suite struct SanityCheckTests {
    static func fixture(_ name: String) throws -> (model: ExplainableModel, input: Tensor, file: ModelFile) {
        let record = References.records(kind: "cam").first { $0.case == name }!
        let (model, input) = try References.model(record)
        return (model, input, try ModelFile(path: References.folder.appendingPathComponent(record.model).path))
    }

    @Test func theCascadeStartsAtTheScoresAndGoesDown() throws {
        let (model, _, _) = try Self.fixture("vgg16_small")
        let cascade = ParameterizedLayer.cascade(of: model)
        let positions = cascade.map { layer in model.graph.nodes.firstIndex { $0.name == layer.node }! }
        #expect(positions == positions.sorted(by: >))
        #expect(cascade.count == model.graph.nodes.filter { ["Conv", "Gemm", "MatMul"].contains($0.op.opType) }.count)
        // The last node with weights before the scores comes first.
        let lastWeighted = model.graph.nodes.lastIndex { ["Conv", "Gemm", "MatMul"].contains($0.op.opType) }!
        #expect(positions.first == lastWeighted)
        #expect(cascade.last?.op == "Conv")
    }

    @Test func batchNormalizationIsResetAsPyTorchDoes() throws {
        let (model, _, _) = try Self.fixture("resnet18_small")
        let normalizations = ParameterizedLayer.cascade(of: model).filter { $0.op == "BatchNormalization" }
        #expect(!normalizations.isEmpty)
        for layer in normalizations {
            let values = layer.randomized(seed: 1, position: 0)
            #expect(zip(layer.parameters, [Float(1), 0, 0, 1]).allSatisfy { p, v in values[p.name]!.floats.allSatisfy { $0 == v } })
        }
    }

    @Test func theSameSeedGivesTheSameWeightsAndAnotherSeedOthers() throws {
        let (model, _, _) = try Self.fixture("vgg16_small")
        let top = ParameterizedLayer.cascade(of: model)[0]
        let a = top.randomized(seed: 42, position: 0), b = top.randomized(seed: 42, position: 0)
        let c = top.randomized(seed: 43, position: 0), d = top.randomized(seed: 42, position: 1)
        #expect(a == b)
        for name in a.keys {
            #expect(a[name]!.floats != c[name]!.floats)
            #expect(a[name]!.floats != d[name]!.floats)
        }
        // PyTorch's default: uniform on [-1/sqrt(fan_in), 1/sqrt(fan_in)).
        let weight = top.parameters[0]
        guard case .uniform(let bound) = weight.fill else { Issue.record("expected a uniform fill"); return }
        let values = a[weight.name]!.floats
        #expect(values.allSatisfy { abs($0) <= bound })
        #expect(values.max()! > bound * 0.9 && values.min()! < -bound * 0.9)
        let mean = values.reduce(0, +) / Float(values.count)
        #expect(abs(mean) < bound * 0.1)
    }

    @Test func aStepReplacesTheLayersAboveAndLeavesThoseBelow() throws {
        let (model, input, file) = try Self.fixture("vgg16_small")
        let cascade = ParameterizedLayer.cascade(of: model)
        var replacements: [String: Tensor] = [:]
        for k in 0..<2 { replacements.merge(cascade[k].randomized(seed: 7, position: k)) { $1 } }
        let randomized = try file.imported(replacing: replacements).graph
        var compared = 0
        for (id, tensor) in model.graph.constants {
            let name = model.graph.name(of: id)
            guard let other = randomized.value(named: name).flatMap({ randomized.constants[$0] }) else { continue }
            #expect(other == (replacements[name] ?? tensor), "\(name)")
            compared += 1
        }
        #expect(compared >= 2 * cascade.count)
        // The prepared convolution weights follow the replaced initializers: the scores change.
        let network = try ExplainableModel(graph: randomized, inputShape: model.inputShape)
        #expect(try Explainer(model: network).predict(input) != Explainer(model: model).predict(input))
        #expect(throws: ONNXError.self) { try file.imported(replacing: ["no such weight": Tensor.zeros([1])]) }
    }

    @Test func theCheckComparesEveryStepForTheOriginalClass() throws {
        let (model, input, file) = try Self.fixture("vgg16_small")
        var check = SanityCheck(model: model, methods: [.gradcam, .guidedBackprop], layers: [model.defaultLayer.name], seed: 3)
        check.keepMaps = true
        var rebuilt = 0
        let result = try check.run(input, class: nil, rebuild: { rebuilt += 1; return try ExplainableModel(graph: file.imported(replacing: $0).graph, inputShape: model.inputShape) })
        let cascade = ParameterizedLayer.cascade(of: model)
        #expect(rebuilt == cascade.count)
        #expect(result.steps.count == cascade.count + 1)
        #expect(result.steps.map { $0.layer?.node } == [nil] + cascade.map(\.node))
        let logits = try Explainer(model: model).predict(input)
        #expect(result.classIndex == logits.indices.max { logits[$0] < logits[$1] })
        #expect(result.steps[0].similarities.allSatisfy { $0.spearmanAbs == 1 })
        // Grad-CAM's map moves once the network is random; the same seed gives the same curve.
        let last = result.steps.last!.similarities
        #expect(last[0].spearmanAbs.map { $0 < 0.9 } ?? true)
        let again = try check.run(input, class: nil, rebuild: { try ExplainableModel(graph: file.imported(replacing: $0).graph, inputShape: model.inputShape) })
        #expect(again.steps.map(\.similarities) == result.steps.map(\.similarities))
    }
}
