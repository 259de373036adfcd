import Foundation
import SwiftProtobuf
import Tensor

/// An ONNX file read once, to be imported again with some of its initializers replaced (the
/// sanity check's randomized networks), or written back with them replaced.
public struct ModelFile: Sendable {
    public let path: String
    /// The model without its initializers.
    private let model: Onnx_ModelProto
    private let initializers: [Initializer]

    private struct Initializer: Sendable {
        let name: String
        let tensor: Tensor
    }

    public init(path: String) throws {
        let reader = try ModelReader(path: path)
        self.path = path
        model = reader.model
        initializers = reader.initializers.map { Initializer(name: $0.name, tensor: $0.tensor) }
    }

    /// The model imported with the initializers named in `replacements` replaced.
    public func imported(replacing replacements: [String: Tensor]) throws -> ImportedModel {
        try ModelImporter.convert(model, initializers: try replaced(replacements).map { ($0.name, $0.tensor) }, path: path)
    }

    /// Writes the model with the initializers named in `replacements` replaced to `destination`.
    /// Every initializer is written as raw little-endian data of its engine type (float
    /// initializers as FLOAT, integers as INT64, booleans as BOOL).
    public func write(replacing replacements: [String: Tensor], to destination: String) throws {
        var proto = model
        proto.graph.initializer = try replaced(replacements).map { Self.proto(named: $0.name, $0.tensor) }
        do {
            try proto.serializedData().write(to: URL(fileURLWithPath: destination))
        } catch {
            throw ONNXError.unreadable(path: destination, reason: "cannot write it: \(error)")
        }
    }

    /// The initializers with `replacements` in place; each must name an initializer of the same shape.
    private func replaced(_ replacements: [String: Tensor]) throws -> [Initializer] {
        var unused = Set(replacements.keys)
        let result = try initializers.map { initializer -> Initializer in
            guard let tensor = replacements[initializer.name] else { return initializer }
            guard tensor.shape == initializer.tensor.shape, tensor.elementType == initializer.tensor.elementType else {
                throw ONNXError.unsupportedTensor(
                    name: initializer.name,
                    reason: "its replacement is \(tensor.elementType) \(tensor.shape); the model's is \(initializer.tensor.elementType) \(initializer.tensor.shape)")
            }
            unused.remove(initializer.name)
            return Initializer(name: initializer.name, tensor: tensor)
        }
        guard unused.isEmpty else {
            throw ONNXError.invalidGraph(
                "\(unused.sorted().joined(separator: ", ")) is computed when the model loads, not stored as an initializer of '\(path)', so it cannot be replaced")
        }
        return result
    }

    private static func proto(named name: String, _ tensor: Tensor) -> Onnx_TensorProto {
        var proto = Onnx_TensorProto()
        proto.name = name
        proto.dims = tensor.shape.map(Int64.init)
        switch tensor.elementType {
        case .float32:
            proto.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
            proto.rawData = tensor.floats.withUnsafeBytes { Data($0) }
        case .int64:
            proto.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
            proto.rawData = tensor.integers.withUnsafeBytes { Data($0) }
        case .bool:
            proto.dataType = Int32(Onnx_TensorProto.DataType.bool.rawValue)
            proto.rawData = Data(tensor.integers.map { $0 == 0 ? 0 : 1 })
        }
        return proto
    }
}
