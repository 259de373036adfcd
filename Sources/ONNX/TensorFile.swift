import Foundation
import Tensor

/// Tensors stored one per file as a serialized ONNX `TensorProto` (the layout of ONNX's
/// backend test data: `input_0.pb`, `output_0.pb`).
public enum TensorFile {
    public static func read(_ path: String) throws -> Tensor {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ONNXError.unreadable(path: path, reason: "no such file or not readable")
        }
        let proto: Onnx_TensorProto
        do {
            proto = try Onnx_TensorProto(serializedBytes: Array(data))
        } catch {
            throw ONNXError.corrupt(path: path, reason: "not a serialized TensorProto: \(error)")
        }
        return try Tensor(proto: proto)
    }
}
