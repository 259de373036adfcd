import Explain
import ONNX
import Tensor

extension LoadedModel {
    /// This model's ONNX file read again, to rebuild the network with some weights replaced
    /// (the sanity check's randomized networks). Refused for a model built in code.
    public func weights() throws(ModelError) -> ModelWeights {
        guard !path.isEmpty else {
            throw .invalidRequest("model '\(name)' was built in code, not loaded from an ONNX file; the sanity check rebuilds a model from its file")
        }
        do {
            return ModelWeights(file: try ModelFile(path: path), inputShape: explainable.inputShape)
        } catch {
            throw .load(model: name, reason: "\(error)")
        }
    }
}

/// A model's file with its weights replaceable by name (the initializers').
public struct ModelWeights: Sendable {
    let file: ModelFile
    let inputShape: [Int]

    /// The network with `replacements` in place, prepared for the model's input size.
    public func explainable(replacing replacements: [String: Tensor]) throws -> ExplainableModel {
        try ExplainableModel(graph: try file.imported(replacing: replacements).graph, inputShape: inputShape)
    }

    /// Writes the ONNX model with `replacements` in place to `path`.
    public func write(replacing replacements: [String: Tensor], to path: String) throws {
        try file.write(replacing: replacements, to: path)
    }
}
