import Foundation
import Testing
import Tensor
@testable import ONNX

/// Reduced-width random-weight exports of torchvision VGG16, AlexNet, ResNet18 (with
/// BatchNormalization kept), a Caffe-style AlexNet (LRN, grouped convolutions, trailing
/// Softmax) and a dynamo-exported VGG16 must give onnxruntime's top-5, with every logit
/// within 1e-4 of the largest |logit| (`tools/fixtures` makes them).
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

    private func topK(_ values: [Float], _ k: Int) -> [Int] {
        Array(values.indices.sorted { values[$0] > values[$1] }.prefix(k))
    }
}
