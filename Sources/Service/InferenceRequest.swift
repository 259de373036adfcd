import ClientText
import HTTP
import Imaging
import Pipeline

/// The outputs `POST /v2/models/{name}/infer` can return, for a batch of N images.
enum InferenceOutput: String, CaseIterable, Sendable {
    /// FP32 `[N, classes]`: the model's class scores (softmax of the logits, or the model's own).
    case probabilities
    /// INT64 `[N]`: the index of the highest-scoring class.
    case topClass = "top_class"
    /// FP32 `[N, h, w]`: the map of the explained class at the layer's resolution, in 0...1
    /// (guided methods: `[N, 3, H, W]` at the model's input size), as `map.data` of `POST /gradcam`.
    case heatmap
    /// BYTES `[N]`: the JSON document of `POST /gradcam?format=json`, one per image.
    case explanation

    /// Outputs that need an explanation (a backward pass), not a forward pass alone.
    var needsExplanation: Bool { self == .heatmap || self == .explanation }
}

/// A `POST /v2/models/{name}/infer` request of the Open Inference Protocol (REST), with the
/// binary tensor data extension:
///
///     {"id": "...", "parameters": {"method": "gradcam", "class": "circle", "layer": "...", "binary_data_output": false},
///      "inputs": [{"name": "image", "datatype": "BYTES", "shape": [N], "data": ["<base64 PNG or JPEG>", ...]}],
///      "outputs": [{"name": "heatmap", "parameters": {"binary_data": true}}, ...]}
///
/// The one input, `image`, holds 1 <= N <= 16 images, either
/// - BYTES of shape `[N]` (or `[N, 1]`): encoded images, base64 strings in `data`; or
/// - FP32 of shape `[N, 3, H, W]` or `[N, H, W, 3]`: RGB pixel values 0 to 255 (``ImageTensor``),
///   numbers in `data` (at most ``maxJSONTensorValues``).
///
/// With the `Inference-Header-Content-Length: L` header, the input may instead come after the L
/// bytes of JSON as binary data of `parameters.binary_data_size` bytes: BYTES elements as a
/// 4-byte little-endian length and the bytes; FP32 as little-endian floats, row-major. `data`
/// may be flat or nested as the shape. Without `outputs`, every output is returned.
struct InferenceRequest {
    static let inputName = "image"
    static let headerLengthField = "Inference-Header-Content-Length"
    /// Numbers an FP32 input may have in JSON `data`: decoding costs tens of bytes per number
    /// (4 as binary data), so this caps a request's memory (2^20: six 224x224 RGB images, or
    /// one of 590x590). The binary extension is bounded by the body limit alone.
    static let maxJSONTensorValues = 1 << 20
    /// What the input takes, for messages.
    static let accepted = "input \"image\" takes datatype BYTES (encoded PNG or JPEG images, shape [N]) or FP32 (RGB pixel values 0 to 255, not normalized, shape [N, 3, H, W] or [N, H, W, 3])"

    struct RequestedOutput: Equatable {
        var output: InferenceOutput
        /// Whether it is returned as binary data; `nil` follows `binary_data_output`.
        var binary: Bool?
    }

    var id: String?
    var images: [ImageInput]
    /// The request's parameters other than the protocol's own (`binary_data_output`).
    var parameters: [String: JSONValue]
    var outputs: [RequestedOutput]
    /// `parameters.binary_data_output`: outputs default to binary data.
    var binaryOutputs: Bool

    /// The request in `request`; an FP32 image has at most `pixelLimit` pixels.
    init(_ request: HTTPRequest, pixelLimit: Int) throws {
        let body = request.body
        var jsonEnd = body.count
        if let field = request.headers[Self.headerLengthField] {
            guard let length = Int(field), (0...body.count).contains(length) else {
                throw ServiceError.invalidRequest("\(Self.headerLengthField) must be the JSON header's length in bytes, 0 to \(body.count) (the body's length); got \(ClientText.quoted(field))")
            }
            jsonEnd = length
        }
        let header = try JSONValue.decode(InferenceRequestHeader.self, from: body[..<jsonEnd], what: "the inference request's JSON",
                                          maxValues: JSONValue.maxValues + Self.maxJSONTensorValues)
        guard let root = header.members else {
            throw ServiceError.invalidRequest("the inference request must be a JSON object with \"inputs\"")
        }
        switch root["id"] {
        case nil, .null?: id = nil
        case let .string(text)?: id = text
        case let other?: throw ServiceError.invalidRequest("\"id\" must be a string, not \(other.typeName)")
        }
        var parameters = try Self.object(root["parameters"], "parameters")
        switch parameters.removeValue(forKey: "binary_data_output") {
        case nil: binaryOutputs = false
        case let .bool(flag)?: binaryOutputs = flag
        case let other?: throw ServiceError.invalidRequest("parameter \"binary_data_output\" must be a boolean, not \(other.typeName)")
        }
        self.parameters = parameters
        guard let inputs = header.inputs, inputs.count == 1 else {
            throw ServiceError.invalidRequest("\"inputs\" must be an array holding one input, \"image\": \(Self.accepted)")
        }
        var binary = body[jsonEnd...]
        images = try Self.images(inputs[0], binary: &binary, pixelLimit: pixelLimit)
        guard binary.isEmpty else {
            throw ServiceError.invalidRequest("\(binary.count) bytes follow the binary data of the inputs; \(Self.headerLengthField) or binary_data_size is wrong")
        }
        outputs = try Self.outputs(root["outputs"])
    }

    /// Whether `output` goes back as binary data.
    func isBinary(_ output: RequestedOutput) -> Bool { output.binary ?? binaryOutputs }

    // MARK: - Parts

    /// Where an input's elements are: JSON `data`, or binary data after the header.
    private enum TensorSource {
        case json(InferenceTensorData)
        case binary(ArraySlice<UInt8>)
    }

    private static func images(_ input: InferenceRequestHeader.Input, binary: inout ArraySlice<UInt8>, pixelLimit: Int) throws -> [ImageInput] {
        guard let fields = input.members else { throw ServiceError.invalidRequest("an input must be an object") }
        guard case let .string(name)? = fields["name"], name == inputName else {
            throw ServiceError.invalidRequest("the input must be named \"\(inputName)\"; got \(fields["name"].map(describe) ?? "no name")")
        }
        var parameters = try object(fields["parameters"], "the input's parameters")
        let size = parameters.removeValue(forKey: "binary_data_size")
        if let unknown = parameters.keys.sorted().first {
            throw ServiceError.invalidRequest("unknown input parameter \(ClientText.quoted(unknown)); accepted: binary_data_size")
        }
        switch fields["datatype"] {
        case .string("BYTES")?:
            let count = try batchSize(fields["shape"])
            return try encodedImages(tensorSource(size, input.data, binary: &binary), count: count).map(ImageInput.encoded)
        case .string("FP32")?:
            let tensor = try imageTensor(fields["shape"], pixelLimit: pixelLimit)
            return try pixelImages(tensorSource(size, input.data, binary: &binary), tensor).map(ImageInput.pixels)
        case let other:
            throw ServiceError.invalidRequest("\(accepted); got datatype \(other.map(describe) ?? "none")")
        }
    }

    /// The input's elements: its JSON `data`, or the next `binary_data_size` bytes of `binary`.
    private static func tensorSource(_ size: JSONValue?, _ data: InferenceTensorData?, binary: inout ArraySlice<UInt8>) throws -> TensorSource {
        switch (size, data) {
        case let (size?, nil):
            guard let size = size.integer, (0...binary.count).contains(size) else {
                throw ServiceError.invalidRequest("binary_data_size must be an integer from 0 to the \(binary.count) bytes after the JSON header; got \(describe(size))")
            }
            defer { binary = binary.dropFirst(size) }
            return .binary(binary.prefix(size))
        case let (nil, data?):
            return .json(data)
        case (.some, .some):
            throw ServiceError.invalidRequest("input \"image\" has both \"data\" and binary_data_size; send one")
        case (nil, nil):
            throw ServiceError.invalidRequest("input \"image\" has no \"data\" and no binary_data_size (binary tensor data extension)")
        }
    }

    /// BYTES: the `count` encoded images.
    private static func encodedImages(_ source: TensorSource, count: Int) throws -> [[UInt8]] {
        switch source {
        case let .binary(data):
            return try binaryElements(data, count: count)
        case let .json(data):
            guard data.numbers.isEmpty else {
                throw ServiceError.invalidRequest("the \"data\" of BYTES input \"image\" holds numbers; send base64 strings of PNG or JPEG files (or use datatype FP32 for pixels)")
            }
            guard data.strings.count == count else {
                throw ServiceError.invalidRequest("input \"image\" has shape [\(count)] but \(data.strings.count) elements in \"data\"")
            }
            return try data.strings.enumerated().map { try decodeBase64($1, what: "element \($0) of input \"image\"") }
        }
    }

    /// The ``ImageTensor`` of an FP32 input's shape.
    private static func imageTensor(_ shape: JSONValue?, pixelLimit: Int) throws -> ImageTensor {
        guard case let .array(dims)? = shape, dims.count == 4, dims.allSatisfy({ $0.integer != nil }) else {
            throw ServiceError.invalidRequest("input \"image\": \(ImageTensor.accepted); got shape \(shape.map(describe) ?? "none")")
        }
        return try ImageTensor(shape: dims.compactMap(\.integer), pixelLimit: pixelLimit)
    }

    /// FP32: the images of `tensor`, its size checked against the data's before any is made.
    private static func pixelImages(_ source: TensorSource, _ tensor: ImageTensor) throws -> [Image] {
        switch source {
        case let .binary(data):
            guard data.count / 4 == tensor.elementCount, data.count % 4 == 0 else {
                throw ServiceError.invalidRequest("input \"image\" has shape \(tensor), \(tensor.elementCount) FP32 values (\(tensor.elementCount * 4) bytes), but binary_data_size is \(data.count)")
            }
            return try data.withUnsafeBytes { raw in
                try tensor.images { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
        case let .json(data):
            guard data.strings.isEmpty else {
                throw ServiceError.invalidRequest("the \"data\" of FP32 input \"image\" holds strings; send numbers (or use datatype BYTES for encoded images)")
            }
            guard data.numbers.count == tensor.elementCount else {
                throw ServiceError.invalidRequest("input \"image\" has shape \(tensor), \(tensor.elementCount) values, but \(data.numbers.count) numbers in \"data\"")
            }
            return try tensor.images { data.numbers[$0] }
        }
    }

    /// N from a shape `[N]` or `[N, 1]`, 1 <= N <= the image limit.
    private static func batchSize(_ shape: JSONValue?) throws -> Int {
        let accepted = "input \"image\" must have shape [N] or [N, 1] with 1 <= N <= \(GradCAMService.kserveMaxImages)"
        guard case let .array(dims)? = shape, (1...2).contains(dims.count) else { throw ServiceError.invalidRequest(accepted) }
        let sizes = dims.map(\.integer)
        guard let n = sizes[0], (1...GradCAMService.kserveMaxImages).contains(n), sizes.count == 1 || sizes[1] == 1 else {
            throw ServiceError.invalidRequest("\(accepted); got \(describe(.array(dims)))")
        }
        return n
    }

    /// BYTES elements in the binary extension's layout: per element a 4-byte little-endian
    /// length, then that many bytes; exactly `count` elements filling `data`.
    static func binaryElements(_ data: ArraySlice<UInt8>, count: Int) throws -> [[UInt8]] {
        var rest = data
        var elements: [[UInt8]] = []
        for index in 0..<count {
            guard rest.count >= 4 else {
                throw ServiceError.invalidRequest("the binary data of input \"image\" ends before element \(index)'s 4-byte length (\(count) elements declared)")
            }
            let length = rest.prefix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
            rest = rest.dropFirst(4)
            guard length <= rest.count else {
                throw ServiceError.invalidRequest("element \(index) of input \"image\" declares \(length) bytes but \(rest.count) remain")
            }
            guard length > 0 else { throw ServiceError(.badRequest, "missing_image", "element \(index) of input \"image\" is empty; send a PNG or JPEG") }
            elements.append(Array(rest.prefix(length)))
            rest = rest.dropFirst(length)
        }
        guard rest.isEmpty else {
            throw ServiceError.invalidRequest("\(rest.count) bytes follow the \(count) elements of input \"image\" within its binary_data_size")
        }
        return elements
    }

    private static func outputs(_ value: JSONValue?) throws -> [RequestedOutput] {
        let names = InferenceOutput.allCases.map(\.rawValue).joined(separator: ", ")
        guard let value, value != .null else { return InferenceOutput.allCases.map { RequestedOutput(output: $0) } }
        guard case let .array(items) = value, !items.isEmpty, items.count <= InferenceOutput.allCases.count else {
            throw ServiceError.invalidRequest("\"outputs\" must be an array of 1 to \(InferenceOutput.allCases.count) outputs from \(names)")
        }
        var requested: [RequestedOutput] = []
        for item in items {
            guard case let .object(fields) = item, case let .string(name)? = fields["name"], let output = InferenceOutput(rawValue: name) else {
                throw ServiceError.invalidRequest("each output must be {\"name\": ...} with a name from \(names); got \(describe(item))")
            }
            guard !requested.contains(where: { $0.output == output }) else { throw ServiceError.invalidRequest("output \"\(name)\" is asked for twice") }
            var parameters = try object(fields["parameters"], "output \"\(name)\"'s parameters")
            var entry = RequestedOutput(output: output)
            switch parameters.removeValue(forKey: "binary_data") {
            case nil: break
            case let .bool(flag)?: entry.binary = flag
            case let other?: throw ServiceError.invalidRequest("output \"\(name)\": binary_data must be a boolean, not \(other.typeName)")
            }
            if let unknown = parameters.keys.sorted().first {
                throw ServiceError.invalidRequest("output \"\(name)\": unknown parameter \(ClientText.quoted(unknown)); accepted: binary_data")
            }
            requested.append(entry)
        }
        return requested
    }

    /// An optional JSON object (absent and null are empty).
    private static func object(_ value: JSONValue?, _ what: String) throws -> [String: JSONValue] {
        switch value {
        case nil, .null?: return [:]
        case let .object(object)?: return object
        case let other?: throw ServiceError.invalidRequest("\(what) must be an object, not \(other.typeName)")
        }
    }

    /// A short description of a JSON value the client sent, for messages.
    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case let .string(text): ClientText.quoted(text)
        case let .number(number): value.integer.map(String.init) ?? String(number)
        case let .largeInteger(number): String(number)
        case let .array(items) where items.allSatisfy({ $0.integer != nil }) && items.count <= 8:
            "[" + items.compactMap(\.integer).map(String.init).joined(separator: ", ") + "]"
        default: value.typeName
        }
    }
}
