import Foundation
import HTTP
import Imaging
import TestSupport
import Testing

/// `POST /v2/models/{name}/infer` with an FP32 image tensor: RGB pixel values 0 to 255, channels
/// first `[N, 3, H, W]` or last `[N, H, W, 3]`, in JSON `data` (flat or nested) or as binary
/// data. The answer equals the BYTES input's for the same pixels (the same preprocessing runs on
/// them), and every bad size or value is a 4xx naming what is accepted.
@Suite(.timeLimit(.minutes(2))) struct OpenInferenceTensorTests {
    /// The PNG fixture's pixels, and the same picture mirrored (a second, different image of its size).
    static let images: [Image] = {
        let image = try! Image.decode(Fixture.png).image
        var mirrored = image.pixels
        for y in 0..<image.height {
            for x in 0..<image.width {
                for c in 0..<3 { mirrored[(y * image.width + x) * 3 + c] = image.pixels[(y * image.width + image.width - 1 - x) * 3 + c] }
            }
        }
        return [image, Image(width: image.width, height: image.height, pixels: mirrored)]
    }()

    /// The images as one tensor's elements, row-major, in `layout`.
    static func elements(_ images: [Image], channelsFirst: Bool) -> [Float] {
        images.flatMap { image -> [Float] in
            let plane = image.width * image.height
            guard channelsFirst else { return image.pixels.map(Float.init) }
            return (0..<3).flatMap { c in (0..<plane).map { Float(image.pixels[$0 * 3 + c]) } }
        }
    }

    static func shape(_ images: [Image], channelsFirst: Bool) -> [Int] {
        let (h, w) = (images[0].height, images[0].width)
        return channelsFirst ? [images.count, 3, h, w] : [images.count, h, w, 3]
    }

    /// The outputs of a JSON answer by name: the JSON numbers of each.
    static func outputs(_ reply: WireResponse) -> [String: [Double]] {
        let outputs = KServeClient.object(reply)["outputs"] as? [[String: Any]] ?? []
        return Dictionary(uniqueKeysWithValues: outputs.map { ($0["name"] as! String, ($0["data"] as? [Double]) ?? []) })
    }

    /// What the BYTES input answers for the images, PNG-encoded.
    static func bytesAnswer(_ port: Int, _ images: [Image]) async throws -> [String: [Double]] {
        let reply = try await KServeClient.post(port, "/v2/models/vgg16_small/infer", json: [
            "parameters": ["class": 2],
            "inputs": [["name": "image", "datatype": "BYTES", "shape": [images.count],
                        "data": try images.map { KServeClient.base64(try $0.pngData()) }]],
            "outputs": [["name": "probabilities"], ["name": "top_class"], ["name": "heatmap"]],
        ])
        #expect(reply.status == 200, "\(reply)")
        return outputs(reply)
    }

    @Test(arguments: [true, false])
    func jsonTensorAnswersAsTheEncodedImages(channelsFirst: Bool) async throws {
        try await withSharedService { port in
            let images = Self.images
            let flat = Self.elements(images, channelsFirst: channelsFirst)
            let shape = Self.shape(images, channelsFirst: channelsFirst)
            // Nested as the shape for channels first, flat for channels last: the protocol allows both.
            let data: Any = channelsFirst ? Self.nested(flat, shape: shape) : flat
            let reply = try await KServeClient.post(port, "/v2/models/vgg16_small/infer", json: [
                "parameters": ["class": 2],
                "inputs": [["name": "image", "datatype": "FP32", "shape": shape, "data": data]],
                "outputs": [["name": "probabilities"], ["name": "top_class"], ["name": "heatmap"]],
            ])
            #expect(reply.status == 200, "\(reply)")
            let got = Self.outputs(reply)
            #expect(got["heatmap"]?.count ?? 0 > 0)
            #expect(got == (try await Self.bytesAnswer(port, images)))
        }
    }

    @Test(arguments: [true, false])
    func binaryTensorAnswersAsTheEncodedImages(channelsFirst: Bool) async throws {
        try await withSharedService { port in
            let images = Self.images
            let binary = Self.elements(images, channelsFirst: channelsFirst).flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
            let reply = try await KServeClient.post(port, "/v2/models/vgg16_small/infer", header: [
                "parameters": ["class": 2],
                "inputs": [["name": "image", "datatype": "FP32", "shape": Self.shape(images, channelsFirst: channelsFirst),
                            "parameters": ["binary_data_size": binary.count]]],
                "outputs": [["name": "probabilities"], ["name": "top_class"], ["name": "heatmap"]],
            ], binary: binary)
            #expect(reply.status == 200, "\(reply)")
            #expect(Self.outputs(reply) == (try await Self.bytesAnswer(port, images)))
        }
    }

    /// Fractions are rounded to the nearest pixel value: 0.4 and 254.6 are 0 and 255.
    @Test func roundsFractionsToPixelValues() async throws {
        try await withSharedService { port in
            let image = Image(width: 2, height: 1, pixels: [0, 255, 0, 255, 0, 255])
            let data: [Float] = [0.4, 254.6, 0, 254.5, 0.2, 255]
            let reply = try await KServeClient.post(port, "/v2/models/vgg16_small/infer", json: [
                "parameters": ["class": 2],
                "inputs": [["name": "image", "datatype": "FP32", "shape": [1, 1, 2, 3], "data": data]],
                "outputs": [["name": "probabilities"], ["name": "top_class"], ["name": "heatmap"]],
            ])
            #expect(reply.status == 200, "\(reply)")
            #expect(Self.outputs(reply) == (try await Self.bytesAnswer(port, [image])))
        }
    }

    @Test(arguments: [
        (#"{"datatype": "FP16", "shape": [1, 1, 1, 3], "data": [0, 0, 0]}"#, 400, #"takes datatype BYTES (encoded PNG or JPEG images, shape [N]) or FP32 (RGB pixel values 0 to 255, not normalized, shape [N, 3, H, W] or [N, H, W, 3]); got datatype 'FP16'"#),
        (#"{"datatype": "FP32", "shape": [3, 2, 2], "data": [0]}"#, 400, "FP32 takes shape [N, 3, H, W] or [N, H, W, 3] with 1 <= N <= 16: RGB pixel values 0 to 255, not normalized; got shape [3, 2, 2]"),
        (#"{"datatype": "FP32", "shape": [1, 4, 2, 2], "data": [0]}"#, 400, #"input "image" has shape [1, 4, 2, 2] with no axis of 3 channels"#),
        (#"{"datatype": "FP32", "shape": [17, 3, 1, 1], "data": [0]}"#, 400, "got shape [17, 3, 1, 1]"),
        (#"{"datatype": "FP32", "shape": [1, 3, 0, 5], "data": []}"#, 400, "got shape [1, 3, 0, 5]"),
        (#"{"datatype": "FP32", "shape": [1, 3, 2.5, 2], "data": [0]}"#, 400, "got shape"),
        (#"{"datatype": "FP32", "shape": [1, 3, 10000, 10000], "data": [0]}"#, 413, "10000x10000 pixels per image, more than the limit of 50000000"),
        (#"{"datatype": "FP32", "shape": [1, 3, 3037000500, 3037000500], "data": [0]}"#, 413, "more than the limit"),
        (#"{"datatype": "FP32", "shape": [1, 1, 2, 3], "data": [0, 0, 0, 0, 0]}"#, 400, #"has shape [1, 1, 2, 3], 6 values, but 5 numbers in "data""#),
        (#"{"datatype": "FP32", "shape": [1, 1, 1, 3], "data": [0, 0, 256]}"#, 400, #"element 2 of input "image" is 256.0; FP32 takes shape"#),
        (#"{"datatype": "FP32", "shape": [1, 1, 1, 3], "data": [[-0.5, 0, 0]]}"#, 400, #"element 0 of input "image" is -0.5"#),
        (#"{"datatype": "FP32", "shape": [1, 1, 1, 3], "data": [0, 0, 1e39]}"#, 400, "holds a number outside FP32's range"),
        (#"{"datatype": "FP32", "shape": [1, 1, 1, 3], "data": [0, true, 0]}"#, 400, #"the "data" of input "image" holds a boolean"#),
        (#"{"datatype": "FP32", "shape": [1, 1, 1, 3], "data": ["aGk=", 0, 0]}"#, 400, #"the "data" of input "image" holds a number among strings"#),
        (#"{"datatype": "FP32", "shape": [1, 1, 1, 3], "data": ["aGk="]}"#, 400, #"the "data" of FP32 input "image" holds strings; send numbers"#),
        (#"{"datatype": "FP32", "shape": [1, 1, 1, 3], "data": [[0, 0, 0], 0]}"#, 400, #"the "data" of input "image" holds a number among arrays"#),
        (#"{"datatype": "FP32", "shape": [1, 1, 1, 3], "data": [[0, 0], [0, [0]]]}"#, 400, #"holds an array among numbers"#),
        (#"{"datatype": "BYTES", "shape": [1], "data": ["", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""]}"#, 400, #"holds more than 16 strings; BYTES takes 1 to 16 images"#),
        (#"{"datatype": "BYTES", "shape": [1], "data": [1]}"#, 400, #"the "data" of BYTES input "image" holds numbers; send base64 strings"#),
    ] as [(String, Int, String)])
    func refusesABadTensor(input: String, status: Int, message: String) async throws {
        try await withSharedService { port in
            let body = #"{"inputs": [{"name": "image", "# + input.dropFirst() + "]}"
            let reply = try await SocketClient(port: port).exchange(request("POST", "/v2/models/vgg16_small/infer",
                                                                            headers: [("Content-Type", "application/json")], body: Array(body.utf8)))
            #expect(reply.status == status, "\(reply)")
            #expect(KServeClient.error(reply)?.contains(message) == true, "\(reply)")
        }
    }

    @Test func refusesBadBinaryTensors() async throws {
        try await withSharedService { port in
            func send(_ values: [Float], shape: [Int], size: Int? = nil) async throws -> WireResponse {
                let binary = values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
                return try await KServeClient.post(port, "/v2/models/vgg16_small/infer", header: [
                    "inputs": [["name": "image", "datatype": "FP32", "shape": shape, "parameters": ["binary_data_size": size ?? binary.count]]],
                ], binary: binary)
            }
            let cases: [([Float], [Int], Int?, String)] = [
                ([0, 0, 0, 0, 0], [1, 1, 2, 3], nil, "has shape [1, 1, 2, 3], 6 FP32 values (24 bytes), but binary_data_size is 20"),
                ([0, 0, 0, 0, 0, 0, 0], [1, 1, 2, 3], nil, "6 FP32 values (24 bytes), but binary_data_size is 28"),
                ([0, 0, 0, 0, 0, 0], [1, 1, 2, 3], 23, "but binary_data_size is 23"),
                ([0, .nan, 0], [1, 1, 1, 3], nil, #"element 1 of input "image" is nan"#),
                ([0, 0, .infinity], [1, 3, 1, 1], nil, #"element 2 of input "image" is inf"#),
            ]
            for (values, shape, size, message) in cases {
                let reply = try await send(values, shape: shape, size: size)
                #expect(reply.status == 400, "\(reply)")
                #expect(KServeClient.error(reply)?.contains(message) == true, "\(message): \(reply)")
            }
        }
    }

    /// A JSON tensor past its cap is refused before it is decoded, pointing at binary data.
    @Test func refusesAJSONTensorPastItsCap() async throws {
        var http = HTTPServer.Configuration.relaxed
        http.maxBodyBytes = 8 << 20
        try await withService(http: http) { _, port in
            let count = (1 << 20) + 1024 + 1
            let data = "[" + Array(repeating: "0", count: count).joined(separator: ",") + "]"
            let body = #"{"inputs": [{"name": "image", "datatype": "FP32", "shape": [1, 3, 1, \#(count / 3)], "data": \#(data)}]}"#
            let reply = try await SocketClient(port: port).exchange(request("POST", "/v2/models/vgg16_small/infer",
                                                                            headers: [("Content-Type", "application/json")], body: Array(body.utf8)))
            #expect(reply.status == 400, "\(reply)")
            #expect(KServeClient.error(reply)?.contains("(larger image tensors as binary data)") == true, "\(reply)")
        }
    }

    /// Only the inputs' `data` may hold many values: the rest of the request keeps the limit
    /// of 1024, checked while decoding.
    @Test func refusesManyValuesBesideTheData() async throws {
        try await withSharedService { port in
            let reply = try await KServeClient.post(port, "/v2/models/vgg16_small/infer", json: [
                "parameters": ["x": Array(repeating: 0, count: 1100)],
                "inputs": [["name": "image", "datatype": "FP32", "shape": [1, 1, 1, 3], "data": [0, 0, 0]]],
            ])
            #expect(reply.status == 400, "\(reply)")
            #expect(KServeClient.error(reply) == "the request holds more than 1024 JSON values beside the inputs' data; send a few parameters", "\(reply)")
        }
    }

    /// `flat` nested as `shape` (row-major).
    static func nested(_ flat: [Float], shape: [Int]) -> Any {
        guard shape.count > 1 else { return flat }
        let size = shape.dropFirst().reduce(1, *)
        return stride(from: 0, to: flat.count, by: size).map { nested(Array(flat[$0..<($0 + size)]), shape: Array(shape.dropFirst())) }
    }
}
