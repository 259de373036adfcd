import Foundation
import Testing
import Tensor
@testable import Explain

/// FullGrad against pytorch-grad-cam's `FullGrad` (1.5.7) on the reduced vgg16, alexnet,
/// resnet18 (224 x 224) and `mobilenetv3_idiom` (32 x 32, its BatchNorms folded into the
/// convolutions by the exporter), two classes each (`tools/fixtures/make_fullgrad_dff_fixtures.py`
/// writes `explain/fullgrad_dff.json`): Pearson r >= 0.999 and every pixel of our `H x W` map
/// within 1e-5 of the library's returned map (measured: r > 0.999999999999, 1.2e-6).
@Suite struct FullGradAgreementTests {
    static let records: [ReferenceRecord] = {
        let data = try! Data(contentsOf: References.folder.appendingPathComponent("fullgrad_dff.json"))
        return try! JSONDecoder().decode(References.Index.self, from: data).records
    }()

    @Test(arguments: records.filter { $0.kind == "fullgrad" })
    func mapAgrees(_ record: ReferenceRecord) throws {
        let (model, input) = try References.model(record)
        let explainer = Explainer(model: model)
        let result = try explainer.explain(input, method: .fullgrad, classes: [record.class!], layers: [])
        let expected = try record.tensor("map")
        let ours = result.classes[0].heatmap
        #expect([ours.height, ours.width] == expected.shape)
        #expect(result.classes[0].attributions.isEmpty)
        let r = pearson(ours.values, expected.floats)
        let worst = zip(ours.values, expected.floats).map { abs($0 - $1) }.max() ?? 0
        #expect(r >= 0.999, "Pearson r = \(r), required 0.999")
        #expect(worst <= 1e-5, "max |difference| = \(worst), allowed 1e-5")
        #expect(explainer.forwardCount == 1 && explainer.backwardCount == 1,
                "the bias layers' gradients come from the one backward pass to the input")
    }

    /// FullGrad and Saliency in one request share the standard backward pass.
    @Test func sharesTheInputGradientPass() throws {
        let record = try #require(Self.records.first)
        let (model, input) = try References.model(record)
        let explainer = Explainer(model: model)
        let both = try explainer.explain(input, methods: [.fullgrad, .saliency], classes: [record.class!, 282], layers: [])
        #expect(explainer.backwardCount == 1)
        let alone = try Explainer(model: model).explain(input, method: .fullgrad, classes: [282], layers: [])
        let worst = zip(both[0].classes[1].heatmap.values, alone.classes[0].heatmap.values).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-5, "two classes in one pass against one alone: max |difference| = \(worst)")
    }

    /// The layers FullGrad reads: every convolution with a bias (vgg16: 13, biases as stored),
    /// every batch normalization (resnet18: 20, its bias-free convolutions left out), with
    /// BatchNorm's effective bias `B − mean · scale / √(var + ε)`.
    @Test func biasLayers() throws {
        for (name, convs, normalizations) in [("vgg16_small", 13, 0), ("resnet18_small", 0, 20)] {
            let record = try #require(Self.records.first { $0.case == name })
            let (model, _) = try References.model(record)
            let layers = try BiasLayer.all(in: model)
            #expect(layers.filter { $0.layer.op == "Conv" }.count == convs, "\(name)")
            #expect(layers.filter { $0.layer.op == "BatchNormalization" }.count == normalizations, "\(name)")
            for layer in layers where layer.layer.op == "BatchNormalization" {
                let node = model.graph.nodes[model.graph.producer(of: layer.layer.value)!]
                let p = try (1...4).map { try #require(model.graph.constants[node.inputs[$0]!]).floats }
                for c in layer.bias.indices {
                    let expected = Double(p[1][c]) - Double(p[2][c]) * Double(p[0][c]) / (Double(p[3][c]) + 1e-5).squareRoot()
                    #expect(abs(Double(layer.bias[c]) - expected) <= 1e-6 * max(1, abs(expected)))
                }
            }
        }
    }

    /// A convolution whose bias is computed at run time is refused, naming the node.
    @Test func refusesARunTimeBias() throws {
        var graph = Graph()
        let x = graph.addValue(named: "x")
        graph.inputs = [x]
        let weights = graph.addConstant(named: "w", Tensor(shape: [2, 1, 3, 3], floats: (0..<18).map { Float($0) / 18 - 0.5 }))
        let stored = graph.addConstant(named: "b0", Tensor(shape: [2], floats: [0.1, -0.2]))
        let bias = graph.addValue(named: "b"), conv = graph.addValue(named: "conv")
        let pooled = graph.addValue(named: "pooled"), logits = graph.addValue(named: "logits")
        graph.append(Node(name: "bias", op: Relu(), inputs: [stored], outputs: [bias]))
        graph.append(Node(name: "conv", op: Conv(window: try Window(kernel: [3, 3], op: "Conv")), inputs: [x, weights, bias],
                          outputs: [conv]))
        graph.append(Node(name: "pool", op: GlobalAveragePool(), inputs: [conv], outputs: [pooled]))
        graph.append(Node(name: "flatten", op: Flatten(), inputs: [pooled], outputs: [logits]))
        graph.outputs = [logits]
        let model = try ExplainableModel(graph: graph, inputShape: [1, 1, 6, 6])
        #expect {
            try Explainer(model: model).explain(Tensor.zeros([1, 1, 6, 6]), method: .fullgrad, classes: [0], layers: [])
        } throws: { error in
            guard case .unsupportedModel(let reason) = error as? ExplainError else { return false }
            return reason.contains("'conv'") && reason.contains("bias")
        }
    }
}
