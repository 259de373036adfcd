import Foundation
import SwiftProtobuf
import Tensor

/// Reads an ONNX file into its `ModelProto` (without initializers) and the initializers
/// as tensors, copying each weight once: from the mapped file into its float array.
struct ModelReader {
    /// The model with `graph.initializer` emptied.
    var model: Onnx_ModelProto
    /// The initializers, by name, in file order.
    var initializers: [(name: String, tensor: Tensor)]

    private enum Field {
        static let modelGraph = 7
        static let graphInitializer = 5
        static let tensorRawData = 9
    }

    init(path: String) throws {
        let file = try MappedFile(path: path)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let bytes = file.bytes
        var modelRest: [UInt8] = []
        var graphRest: [UInt8] = []
        var initializers: [(name: String, tensor: Tensor)] = []
        var sawGraph = false
        do {
            var model = WireScanner(bytes, range: 0..<bytes.count)
            while let field = try model.next() {
                guard field.number == Field.modelGraph && field.wireType == 2 else {
                    modelRest.append(contentsOf: bytes[field.encoded])
                    continue
                }
                sawGraph = true
                var graph = WireScanner(bytes, range: field.payload)
                while let graphField = try graph.next() {
                    guard graphField.number == Field.graphInitializer && graphField.wireType == 2 else {
                        graphRest.append(contentsOf: bytes[graphField.encoded])
                        continue
                    }
                    initializers.append(try Self.readTensor(bytes, graphField.payload, directory: directory, path: path))
                    file.release(graphField.encoded)
                }
            }
        } catch let malformed as WireScanner.Malformed {
            throw ONNXError.corrupt(path: path, reason: malformed.reason)
        }
        guard sawGraph else { throw ONNXError.corrupt(path: path, reason: "the file has no graph") }
        do {
            model = try Onnx_ModelProto(serializedBytes: modelRest)
            model.graph = try Onnx_GraphProto(serializedBytes: graphRest)
        } catch {
            throw ONNXError.corrupt(path: path, reason: "\(error)")
        }
        self.initializers = initializers
    }

    /// Decodes one `TensorProto` whose `raw_data` is taken straight from the mapped bytes.
    private static func readTensor(
        _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, directory: String, path: String
    ) throws -> (name: String, tensor: Tensor) {
        var rest: [UInt8] = []
        var raw: Range<Int>?
        var scanner = WireScanner(bytes, range: range)
        while let field = try scanner.next() {
            if field.number == Field.tensorRawData && field.wireType == 2 {
                raw = field.payload
            } else {
                rest.append(contentsOf: bytes[field.encoded])
            }
        }
        let proto: Onnx_TensorProto
        do {
            proto = try Onnx_TensorProto(serializedBytes: rest)
        } catch {
            throw ONNXError.corrupt(path: path, reason: "an initializer cannot be decoded: \(error)")
        }
        let rawBytes = raw.map { UnsafeRawBufferPointer(rebasing: bytes[$0]) }
        return (proto.name, try Tensor(proto: proto, raw: rawBytes, directory: directory))
    }
}
