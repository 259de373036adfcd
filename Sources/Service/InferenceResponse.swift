import Foundation
import HTTP
import Pipeline

/// An output tensor of an inference response.
struct InferenceTensor: Sendable {
    enum Values: Sendable {
        case fp32([Float])
        case int64([Int64])
        case bytes([[UInt8]])
    }

    var name: String
    var shape: [Int]
    var values: Values

    var datatype: String {
        switch values {
        case .fp32: "FP32"
        case .int64: "INT64"
        case .bytes: "BYTES"
        }
    }

    /// The binary tensor data extension's layout: little-endian, row-major; a BYTES element
    /// is its 4-byte little-endian length, then its bytes.
    var binary: [UInt8] {
        var out: [UInt8] = []
        switch values {
        case let .fp32(floats):
            out.reserveCapacity(floats.count * 4)
            for value in floats { withUnsafeBytes(of: value.bitPattern.littleEndian) { out += $0 } }
        case let .int64(ints):
            out.reserveCapacity(ints.count * 8)
            for value in ints { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        case let .bytes(elements):
            for element in elements {
                withUnsafeBytes(of: UInt32(element.count).littleEndian) { out += $0 }
                out += element
            }
        }
        return out
    }
}

/// An Open Inference Protocol response: `{"model_name", "model_version", "id", "outputs": [...]}`,
/// each output with its data in JSON (`data`, flat row-major; BYTES as UTF-8 strings) or, with
/// the binary tensor data extension, after the JSON (`parameters.binary_data_size`; the JSON's
/// length in `Inference-Header-Content-Length`).
struct InferenceResponse {
    var modelName: String
    var id: String?
    /// Each output, and whether it goes as binary data.
    var outputs: [(tensor: InferenceTensor, binary: Bool)]

    var http: HTTPResponse {
        get throws {
            var tail: [UInt8] = []
            let entries = outputs.map { tensor, binary -> Entry in
                guard binary else { return Entry(tensor: tensor, binarySize: nil) }
                let bytes = tensor.binary
                tail += bytes
                return Entry(tensor: tensor, binarySize: bytes.count)
            }
            let header = try DocumentEncoding.json(Header(modelName: modelName, id: id, outputs: entries))
            guard outputs.contains(where: { $0.binary }) else { return .json(bytes: header) }
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/octet-stream",
                                                       InferenceRequest.headerLengthField: String(header.count)],
                                body: header + tail)
        }
    }

    private struct Header: Encodable {
        let modelName: String
        let modelVersion = "1"
        let id: String?
        let outputs: [Entry]

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name", modelVersion = "model_version", id, outputs
        }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(modelName, forKey: .modelName)
            try c.encode(modelVersion, forKey: .modelVersion)
            try c.encodeIfPresent(id, forKey: .id)
            try c.encode(outputs, forKey: .outputs)
        }
    }

    private struct Entry: Encodable {
        let tensor: InferenceTensor
        let binarySize: Int?

        enum CodingKeys: String, CodingKey { case name, datatype, shape, parameters, data }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(tensor.name, forKey: .name)
            try c.encode(tensor.datatype, forKey: .datatype)
            try c.encode(tensor.shape, forKey: .shape)
            if let binarySize {
                try c.encode(["binary_data_size": binarySize], forKey: .parameters)
                return
            }
            switch tensor.values {
            case let .fp32(floats): try c.encode(floats, forKey: .data)
            case let .int64(ints): try c.encode(ints, forKey: .data)
            case let .bytes(elements): try c.encode(elements.map { String(decoding: $0, as: UTF8.self) }, forKey: .data)
            }
        }
    }
}

/// `GET /v2/models/{name}`: the model's metadata.
struct InferenceModelMetadata: Encodable {
    struct TensorMetadata: Encodable {
        let name: String
        let datatype: String
        let shape: [Int]
    }

    let name: String
    let versions = ["1"]
    let platform = "gradcam"
    let inputs: [TensorMetadata]
    let outputs: [TensorMetadata]
}

/// `GET /v2`: the server's metadata.
struct InferenceServerMetadata: Encodable {
    let name = "gradcam-server"
    let version = "1"
    let extensions = ["binary_tensor_data"]
}
