import Foundation
import Tensor
@testable import ONNX

/// A test case in the layout of ONNX's backend tests:
/// `<dir>/model.onnx` and `<dir>/test_data_set_<k>/{input,output}_<i>.pb` (TensorProto files).
struct BackendTestCase: CustomStringConvertible {
    let directory: URL
    var name: String { directory.lastPathComponent }
    var modelPath: String { directory.appendingPathComponent("model.onnx").path }
    var description: String { name }

    /// Data sets, each the input and expected output tensors in graph order.
    func dataSets() throws -> [(inputs: [Tensor], outputs: [Tensor])] {
        let sets = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasPrefix("test_data_set_") }.sorted()
        return try sets.map { set in
            let folder = directory.appendingPathComponent(set)
            return (try Self.tensors(in: folder, prefix: "input_"), try Self.tensors(in: folder, prefix: "output_"))
        }
    }

    /// The model with the data set's parameters bound as initializers, and the inputs it
    /// still takes. The engine reads integer parameters (shapes, starts, axes, ...) and
    /// the float ones of some operators (a pad value, resize scales) from constants, as
    /// exported models carry them; the backend tests feed them as graph inputs. So the
    /// inputs declared with an integer or bool type are bound, and if the model is then
    /// refused, every input is bound (the nodes are evaluated when the model loads).
    func model(binding inputs: [Tensor]) throws -> (model: ImportedModel, inputs: [Tensor]) {
        let reader = try ModelReader(path: modelPath)
        let initialized = Set(reader.initializers.map(\.name))
        let declared = reader.model.graph.input.filter { !initialized.contains($0.name) }
        func bound(_ bind: (Onnx_ValueInfoProto) -> Bool) throws -> (model: ImportedModel, inputs: [Tensor]) {
            var initializers = reader.initializers, fed: [Tensor] = []
            for (input, tensor) in zip(declared, inputs) {
                if bind(input) { initializers.append((input.name, tensor)) } else { fed.append(tensor) }
            }
            return (try ModelImporter.convert(reader.model, initializers: initializers, path: modelPath), fed)
        }
        let floatTypes: Set<Int32> = [0, 1, 10, 11, 16]
        do {
            return try bound { !floatTypes.contains($0.type.tensorType.elemType) }
        } catch ONNXError.invalidNode {
            // A node refused a parameter computed at run time (not an input of a type the engine cannot hold).
            return try bound { _ in true }
        }
    }

    /// The operator types the model uses, read without importing it.
    func operatorTypes() throws -> Set<String> {
        let model = try Onnx_ModelProto(serializedBytes: Array(try Data(contentsOf: URL(fileURLWithPath: modelPath))))
        return Set(model.graph.node.map(\.opType))
    }

    static func tensors(in folder: URL, prefix: String) throws -> [Tensor] {
        var tensors: [Tensor] = []
        while true {
            let file = folder.appendingPathComponent("\(prefix)\(tensors.count).pb")
            guard let data = FileManager.default.contents(atPath: file.path) else { return tensors }
            tensors.append(try Tensor(proto: Onnx_TensorProto(serializedBytes: Array(data))))
        }
    }

    /// All cases below `root`, sorted by name.
    static func all(in root: String) -> [BackendTestCase] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.sorted().map { BackendTestCase(directory: URL(fileURLWithPath: root).appendingPathComponent($0)) }
            .filter { FileManager.default.fileExists(atPath: $0.modelPath) }
    }
}

/// How far two tensors are apart, as ONNX's backend tests judge it
/// (`numpy.testing.assert_allclose`: `|a − e| <= atol + rtol·|e|`).
struct Closeness {
    let rtol: Float
    let atol: Float

    static let onnxBackend = Closeness(rtol: 1e-3, atol: 1e-7)

    /// Nil when `actual` matches `expected`, else what differs.
    func mismatch(_ actual: Tensor, _ expected: Tensor) -> String? {
        guard actual.shape == expected.shape else { return "shape \(actual.shape), expected \(expected.shape)" }
        guard (actual.elementType == .float32) == (expected.elementType == .float32) else {
            return "element type \(actual.elementType), expected \(expected.elementType)"
        }
        if expected.elementType != .float32 {
            return actual.integers == expected.integers ? nil : "values \(actual.integers.prefix(8)), expected \(expected.integers.prefix(8))"
        }
        for (i, (a, e)) in zip(actual.floats, expected.floats).enumerated() {
            let ok = a == e || abs(a - e) <= atol + rtol * abs(e) || (a.isNaN && e.isNaN)
            if !ok { return "element \(i): \(a), expected \(e)" }
        }
        return nil
    }
}

/// Runs a model's graph forward once.
func runModel(_ model: ImportedModel, inputs: [Tensor]) throws -> [Tensor] {
    let executor = Executor(graph: model.graph)
    var feeds: [ValueID: Tensor] = [:]
    for (input, tensor) in zip(model.graph.inputs, inputs) { feeds[input] = tensor }
    let results = try executor.forward(feeds)
    return try model.graph.outputs.map { try results.tensor($0) }
}
