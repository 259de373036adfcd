import Foundation
import Testing
import Tensor
@testable import ONNX

/// Reduced-width random-weight exports of torchvision VGG16, AlexNet, ResNet18 (with
/// BatchNormalization kept), a Caffe-style AlexNet (LRN, grouped convolutions, trailing
/// Softmax), a dynamo-exported VGG16 and three tiny 32x32 networks of modern families'
/// idioms (MobileNetV3's Hardswish and Hardsigmoid squeeze-and-excitation, ConvNeXt's
/// LayerNorm and GELU, and GroupNorm, InstanceNorm, PReLU, ELU, SELU, Mish, Max, Where)
/// must give onnxruntime's top-5, with every logit within 1e-4 of the largest |logit|
/// (`tools/fixtures` makes them).
@Suite struct ModelFixtureTests {
    struct Case: Decodable, CustomTestStringConvertible {
        struct Output: Decodable { let name: String; let file: String }
        let name: String
        let model: String
        let outputs: [Output]
        var testDescription: String { name }
    }

    struct Index: Decodable {
        let tolerance: Float
        let cases: [Case]
    }

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/models").standardizedFileURL

    static let index: Index = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("cases.json"))
        return try! JSONDecoder().decode(Index.self, from: data)
    }()

    @Test(arguments: index.cases)
    func matchesOnnxRuntime(_ fixture: Case) throws {
        let model = try ModelImporter.load(path: Self.folder.appendingPathComponent(fixture.model).path)
        let input = try BackendTestCase.tensors(in: Self.folder.appendingPathComponent("\(fixture.name)/test_data_set_0"), prefix: "input_")[0]
        let executor = Executor(graph: model.graph)
        // Outputs that are not graph outputs (a Softmax's logits) are kept by name.
        let ids = try fixture.outputs.map { output in
            try #require(model.graph.value(named: output.name), "no tensor '\(output.name)' in \(fixture.name)")
        }
        let results = try executor.forward([model.graph.inputs[0]: input], keep: Set(ids))
        for (output, id) in zip(fixture.outputs, ids) {
            let expected = try Tensor(proto: Onnx_TensorProto(serializedBytes: Array(Data(contentsOf: Self.folder.appendingPathComponent(output.file)))))
            let actual = try results.tensor(id)
            #expect(actual.shape == expected.shape)
            let scale = expected.floats.map(abs).max() ?? 1
            let worst = zip(actual.floats, expected.floats).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= Self.index.tolerance * scale, "\(fixture.name) \(output.name): max |Δ| \(worst), allowed \(Self.index.tolerance * scale)")
            #expect(topK(actual.floats, 5) == topK(expected.floats, 5), "\(fixture.name) \(output.name): top-5 differs")
        }
    }

    /// The exported idiom graphs chain the new operators' VJPs as real models do (Reshape
    /// around InstanceNormalization, Transpose around LayerNormalization, Greater into
    /// Where, ...): the gradient of the top logit with respect to the input matches central
    /// differences at every 31st input element.
    @Test(arguments: index.cases.filter { $0.name.hasSuffix("_idiom") })
    func idiomGradientMatchesFiniteDifferences(_ fixture: Case) throws {
        let graph = try ModelImporter.load(path: Self.folder.appendingPathComponent(fixture.model).path).graph
        let input = try BackendTestCase.tensors(in: Self.folder.appendingPathComponent("\(fixture.name)/test_data_set_0"), prefix: "input_")[0]
        let (x, y) = (graph.inputs[0], graph.outputs[0])
        let plan = try BackwardPlan(graph: graph, from: y, to: [x])
        let executor = Executor(graph: graph)
        let logits = try executor.forward([x: input], preparing: [plan]).tensor(y)
        let top = topK(logits.floats, 1)[0]
        var seed = Tensor.zeros(logits.shape)
        seed.floats[top] = 1
        let gradient = try executor.backward(plan, seed: seed).tensor(x)
        let scale = gradient.floats.map(abs).max() ?? 1
        let step: Float = 1e-3
        for i in stride(from: 0, to: input.count, by: 31) {
            var shifted = input
            func logit(_ value: Float) throws -> Double {
                shifted.floats[i] = value
                return Double(try Executor(graph: graph).forward([x: shifted]).tensor(y).floats[top])
            }
            let numeric = Float((try logit(input.floats[i] + step) - logit(input.floats[i] - step)) / (2 * Double(step)))
            #expect(abs(numeric - gradient.floats[i]) <= 1e-2 * scale, "\(fixture.name) element \(i): \(gradient.floats[i]) vs \(numeric)")
        }
    }

    private func topK(_ values: [Float], _ k: Int) -> [Int] {
        Array(values.indices.sorted { values[$0] > values[$1] }.prefix(k))
    }
}
