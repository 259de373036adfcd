import Foundation
import TestSupport
import Testing

/// The Open Inference Protocol (KServe V2) over REST: health, metadata, and `infer` in JSON
/// and with the binary tensor data extension, its outputs equal to what `POST /predict` and
/// `POST /gradcam?format=json` answer for the same images.
@Suite(.timeLimit(.minutes(2))) struct OpenInferenceTests {
    @Test func answersHealthAndMetadata() async throws {
        try await withSharedService { port in
            #expect(KServeClient.object(try await get(port, "/v2/health/live")) as NSDictionary == ["live": true])
            #expect(KServeClient.object(try await get(port, "/v2/health/ready")) as NSDictionary == ["ready": true])
            let server = KServeClient.object(try await get(port, "/v2"))
            #expect(server["name"] as? String == "gradcam-server")
            #expect(server["extensions"] as? [String] == ["binary_tensor_data"])
            let metadata = try await get(port, "/v2/models/vgg16_small")
            #expect(metadata.status == 200)
            let model = KServeClient.object(metadata)
            #expect(model["name"] as? String == "vgg16_small")
            #expect(model["inputs"] as? NSArray == [["name": "image", "datatype": "BYTES", "shape": [-1]]])
            let outputs = try #require(model["outputs"] as? [[String: Any]])
            #expect(outputs.map { $0["name"] as? String } == ["probabilities", "top_class", "heatmap", "explanation"])
            #expect(outputs.map { $0["datatype"] as? String } == ["FP32", "INT64", "FP32", "BYTES"])
            let classes = try #require((KServeClient.object(try await get(port, "/models/vgg16_small"))["classes"]) as? Int)
            #expect(outputs[0]["shape"] as? [Int] == [-1, classes])
            #expect(KServeClient.object(try await get(port, "/v2/models/vgg16_small/ready")) as NSDictionary == ["name": "vgg16_small", "ready": true])
            let unknown = try await get(port, "/v2/models/resnet/ready")
            #expect(unknown.status == 404)
            #expect(KServeClient.error(unknown)?.contains("no model 'resnet'") == true)
            #expect(try await get(port, "/v2/models/vgg16_small/versions/1/infer").status == 404)
            let postLive = try await post(port, "/v2/health/live", raw: [], contentType: nil)
            #expect(postLive.status == 405)
            #expect(KServeClient.error(postLive) == "'POST' is not allowed on '/v2/health/live'; use GET")
        }
    }

    @Test func readinessWaitsForTheModels() async throws {
        try await withService(load: false) { service, port in
            let before = try await get(port, "/v2/health/ready")
            #expect(before.status == 503)
            #expect(KServeClient.error(before) == "the models are still loading")
            #expect(try await get(port, "/v2/health/live").status == 200)
            try await onThread { try service.loadModels() }
            #expect(try await get(port, "/v2/health/ready").status == 200)
        }
    }

    /// JSON in (the data nested as the shape [2, 1]), JSON out, every output.
    @Test func infersInJSONWhatTheAPIAnswers() async throws {
        try await withSharedService { port in
            let images = [Fixture.png, Fixture.jpeg]
            let reply = try await KServeClient.post(port, "/v2/models/vgg16_small/infer", json: [
                "id": "request-7",
                "parameters": ["class": 3, "method": "gradcam++", "top": 2],
                "inputs": [["name": "image", "datatype": "BYTES", "shape": [2, 1], "data": images.map { [KServeClient.base64($0)] }]],
            ])
            #expect(reply.status == 200, "\(reply)")
            #expect(reply.header("Content-Type") == "application/json")
            let body = KServeClient.object(reply)
            #expect(body["model_name"] as? String == "vgg16_small")
            #expect(body["id"] as? String == "request-7")
            let outputs = try #require(body["outputs"] as? [[String: Any]])
            #expect(outputs.map { $0["name"] as? String } == ["probabilities", "top_class", "heatmap", "explanation"])
            let tensors = Dictionary(uniqueKeysWithValues: outputs.map { ($0["name"] as! String, $0) })
            try await expectOutputs(port, images, query: "class=3&method=gradcam%2B%2B&top=2",
                                    probabilities: (tensors["probabilities"]?["data"] as? [Double])?.map(Float.init),
                                    probabilitiesShape: tensors["probabilities"]?["shape"] as? [Int],
                                    topClass: (tensors["top_class"]?["data"] as? [Int]),
                                    heatmap: (tensors["heatmap"]?["data"] as? [Double])?.map(Float.init),
                                    heatmapShape: tensors["heatmap"]?["shape"] as? [Int],
                                    explanations: (tensors["explanation"]?["data"] as? [String])?.map { Array($0.utf8) })
        }
    }

    /// tritonclient's default: BYTES input as binary data, no outputs named and
    /// `binary_data_output`, so every output comes back as binary data after the JSON.
    @Test func infersWithTheBinaryTensorDataExtension() async throws {
        try await withSharedService { port in
            let images = [Fixture.jpeg, Fixture.png]
            let tensor = KServeClient.bytesTensor(images)
            let reply = try await KServeClient.post(port, "/v2/models/alexnet_small/infer", header: [
                "parameters": ["binary_data_output": true],
                "inputs": [["name": "image", "datatype": "BYTES", "shape": [2], "parameters": ["binary_data_size": tensor.count]]],
            ], binary: tensor)
            #expect(reply.status == 200, "\(reply)")
            #expect(reply.header("Content-Type") == "application/octet-stream")
            let length = try #require(Int(reply.header("Inference-Header-Content-Length") ?? ""))
            let header = try #require(try JSONSerialization.jsonObject(with: Data(reply.body.prefix(length))) as? [String: Any])
            var offset = length
            var parts: [String: (shape: [Int], bytes: [UInt8])] = [:]
            for output in try #require(header["outputs"] as? [[String: Any]]) {
                #expect(output["data"] == nil)
                let size = try #require((output["parameters"] as? [String: Any])?["binary_data_size"] as? Int)
                parts[output["name"] as! String] = (output["shape"] as! [Int], Array(reply.body[offset..<(offset + size)]))
                offset += size
            }
            #expect(offset == reply.body.count)
            func floats(_ bytes: [UInt8]) -> [Float] {
                stride(from: 0, to: bytes.count, by: 4).map { i in Float(bitPattern: bytes[i..<(i + 4)].reversed().reduce(0) { $0 << 8 | UInt32($1) }) }
            }
            let topClass = try #require(parts["top_class"]).bytes
            #expect(topClass.count == 16)
            let explanations = try #require(parts["explanation"]).bytes
            var elements: [[UInt8]] = [], at = 0
            while at + 4 <= explanations.count {
                let n = explanations[at..<(at + 4)].reversed().reduce(0) { $0 << 8 | Int($1) }
                elements.append(Array(explanations[(at + 4)..<(at + 4 + n)]))
                at += 4 + n
            }
            try await expectOutputs(port, images, model: "alexnet_small", query: "top=5",
                                    probabilities: parts["probabilities"].map { floats($0.bytes) },
                                    probabilitiesShape: parts["probabilities"]?.shape,
                                    topClass: stride(from: 0, to: 16, by: 8).map { i in topClass[i..<(i + 8)].reversed().reduce(0) { $0 << 8 | Int($1) } },
                                    heatmap: parts["heatmap"].map { floats($0.bytes) }, heatmapShape: parts["heatmap"]?.shape,
                                    explanations: elements)
        }
    }

    @Test func returnsOnlyTheOutputsAskedForEachInItsForm() async throws {
        try await withSharedService { port in
            let tensor = KServeClient.bytesTensor([Fixture.png])
            let reply = try await KServeClient.post(port, "/v2/models/vgg16_small/infer", header: [
                "inputs": [["name": "image", "datatype": "BYTES", "shape": [1], "parameters": ["binary_data_size": tensor.count]]],
                "outputs": [["name": "top_class", "parameters": ["binary_data": true]], ["name": "probabilities"]],
            ], binary: tensor)
            #expect(reply.status == 200, "\(reply)")
            let length = try #require(Int(reply.header("Inference-Header-Content-Length") ?? ""))
            let header = try #require(try JSONSerialization.jsonObject(with: Data(reply.body.prefix(length))) as? [String: Any])
            let outputs = try #require(header["outputs"] as? [[String: Any]])
            #expect(outputs.map { $0["name"] as? String } == ["top_class", "probabilities"])
            #expect(outputs[0]["parameters"] as? NSDictionary == ["binary_data_size": 8])
            #expect(outputs[1]["data"] is [Double])
            #expect(reply.body.count == length + 8)
            let direct = KServeClient.object(try await post(port, "/predict?model=vgg16_small&top=1", raw: Fixture.png, contentType: "image/png"))
            let top = ((direct["predictions"] as? [[String: Any]])?.first?["class"] as? Int).map { withUnsafeBytes(of: Int64($0).littleEndian, Array.init) }
            #expect(Array(reply.body[length...]) == top)
        }
    }

    @Test(arguments: [
        ("{}", nil, #""inputs" must be an array holding one input, "image""#),
        ("[]", nil, #"the inference request must be a JSON object"#),
        (#"{"inputs": [{"name": "x", "datatype": "BYTES", "shape": [1], "data": ["aGk="]}]}"#, nil, #"the input must be named "image"; got 'x'"#),
        (#"{"inputs": [{"name": "image", "datatype": "INT8", "shape": [1], "data": [0]}]}"#, nil, #"input "image" takes datatype BYTES (encoded PNG or JPEG images, shape [N]) or FP32"#),
        (#"{"inputs": [{"name": "image", "datatype": "BYTES", "shape": [17], "data": []}]}"#, nil, #"shape [N] or [N, 1] with 1 <= N <= 16; got [17]"#),
        (#"{"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1, 2], "data": ["aGk=", "aGk="]}]}"#, nil, "got [1, 2]"),
        (#"{"inputs": [{"name": "image", "datatype": "BYTES", "shape": [9223372036854775807, 9223372036854775807]}]}"#, nil, "shape [N] or [N, 1]"),
        (#"{"inputs": [{"name": "image", "datatype": "BYTES", "shape": [2], "data": ["aGk="]}]}"#, nil, #"input "image" has shape [2] but 1 elements in "data""#),
        (#"{"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1], "data": ["aGk=", "aGk=", "aGk="]}]}"#, nil, #"has shape [1] but 3 elements"#),
        (#"{"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1], "data": [1]}]}"#, nil, #"the "data" of BYTES input "image" holds numbers"#),
        (#"{"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1], "data": ["%%"]}]}"#, nil, #"element 0 of input "image" is not standard base64"#),
        (#"{"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1]}]}"#, nil, #"has no "data" and no binary_data_size"#),
        (#"{"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1], "data": ["aGk="], "parameters": {"binary_data_size": 0}}]}"#, nil, "has both"),
        (#"{"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1], "data": ["aGk="], "parameters": {"shared_memory": 1}}]}"#, nil, "unknown input parameter 'shared_memory'"),
        (#"{"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1], "data": ["aGk="]}], "outputs": [{"name": "logits"}]}"#, nil, "with a name from probabilities, top_class, heatmap, explanation; got an object"),
        (#"{"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1], "data": ["aGk="]}], "outputs": [{"name": "heatmap"}, {"name": "heatmap"}]}"#, nil, #"output "heatmap" is asked for twice"#),
        (#"{"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1], "data": ["aGk="]}], "outputs": [{"name": "heatmap", "parameters": {"binary_data": 1}}]}"#, nil, "binary_data must be a boolean, not a number"),
        (#"{"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1], "data": ["aGk="]}], "parameters": {"binary_data_output": "yes"}}"#, nil, "binary_data_output\" must be a boolean"),
        (#"{"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1], "data": ["aGk="]}], "parameters": {"class": "3,4"}}"#, nil, "infer explains one class per image"),
        (#"{"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1], "data": ["aGk="]}], "parameters": {"alpha": 0.5}}"#, nil, "unknown parameter 'alpha'; accepted: aug_smooth, base_method, baseline, box, class, comparison_alpha"),
        (#"{"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1], "data": ["aGk="]}], "id": 5}"#, nil, #""id" must be a string, not a number"#),
        (#"{"inputs": [{"name": "image", "datatype": "BYTES", "shape": [1], "data": ["aGk="]}]}"#, nil, "unrecognized image format"),
        (#"{"inputs": []}"#, "99", "Inference-Header-Content-Length must be the JSON header's length in bytes, 0 to 14"),
        (#"{"inputs": []}"#, "-1", "Inference-Header-Content-Length must be"),
        (#"{"inputs": []}"#, "ten", "Inference-Header-Content-Length must be"),
    ] as [(String, String?, String)])
    func refusesABadInferBody(body: String, headerLength: String?, message: String) async throws {
        try await withSharedService { port in
            var headers = [("Content-Type", "application/json")]
            if let headerLength { headers.append(("Inference-Header-Content-Length", headerLength)) }
            let reply = try await SocketClient(port: port).exchange(request("POST", "/v2/models/vgg16_small/infer", headers: headers, body: Array(body.utf8)))
            #expect((400..<500).contains(reply.status), "\(reply)")
            #expect(KServeClient.error(reply)?.contains(message) == true, "\(reply)")
        }
    }

    @Test func refusesBadBinaryTensors() async throws {
        try await withSharedService { port in
            func send(_ binary: [UInt8], size: Int, shape: Int = 1) async throws -> WireResponse {
                try await KServeClient.post(port, "/v2/models/vgg16_small/infer", header: [
                    "inputs": [["name": "image", "datatype": "BYTES", "shape": [shape], "parameters": ["binary_data_size": size]]],
                ], binary: binary)
            }
            let cases: [([UInt8], Int, Int, String)] = [
                ([1, 2, 3], 3, 1, #"ends before element 0's 4-byte length (1 elements declared)"#),
                ([9, 0, 0, 0, 1, 2], 6, 1, #"element 0 of input "image" declares 9 bytes but 2 remain"#),
                ([0xFF, 0xFF, 0xFF, 0xFF, 1], 5, 1, "declares 4294967295 bytes but 1 remain"),
                ([0, 0, 0, 0], 4, 1, #"element 0 of input "image" is empty"#),
                ([1, 0, 0, 0, 7, 9], 6, 1, #"1 bytes follow the 1 elements of input "image" within its binary_data_size"#),
                ([1, 0, 0, 0, 7], 5, 2, "ends before element 1's 4-byte length (2 elements declared)"),
                ([1, 0, 0, 0, 7], 6, 1, "binary_data_size must be an integer from 0 to the 5 bytes after the JSON header; got 6"),
                ([1, 0, 0, 0, 7, 5], 5, 1, "1 bytes follow the binary data of the inputs"),
            ]
            for (binary, size, shape, message) in cases {
                let reply = try await send(binary, size: size, shape: shape)
                #expect(reply.status == 400, "\(reply)")
                #expect(KServeClient.error(reply)?.contains(message) == true, "\(message): \(reply)")
            }
        }
    }

    /// Checks one image batch's outputs against `POST /predict` (every class) and
    /// `POST /gradcam?format=json` with `query`.
    private func expectOutputs(_ port: Int, _ images: [[UInt8]], model: String = "vgg16_small", query: String,
                               probabilities: [Float]?, probabilitiesShape: [Int]?, topClass: [Int]?,
                               heatmap: [Float]?, heatmapShape: [Int]?, explanations: [[UInt8]]?) async throws {
        var expectedScores: [Float] = [], expectedTop: [Int] = [], expectedMaps: [Float] = [], mapShape: [Int] = []
        var classes = 0
        for (index, image) in images.enumerated() {
            let predicted = KServeClient.object(try await post(port, "/predict?model=\(model)&top=1000", raw: image, contentType: "image/png"))
            let predictions = try #require(predicted["predictions"] as? [[String: Any]])
            classes = predictions.count
            var scores = [Float](repeating: -1, count: classes)
            for p in predictions { scores[p["class"] as! Int] = Float(p["score"] as! Double) }
            expectedScores += scores
            expectedTop.append(predictions[0]["class"] as! Int)
            let explained = try await post(port, "/gradcam?model=\(model)&format=json&\(query)", raw: image, contentType: "image/png")
            let document = KServeClient.object(explained)
            let map = try #require((document["explanations"] as? [[String: Any]])?.first?["map"] as? [String: Any])
            expectedMaps += (map["data"] as! [Double]).map(Float.init)
            mapShape = [map["height"] as! Int, map["width"] as! Int]
            let returned = try #require(explanations?[index])
            #expect((try? JSONSerialization.jsonObject(with: Data(returned))) as? NSDictionary == document as NSDictionary)
        }
        #expect(probabilitiesShape == [images.count, classes])
        #expect(probabilities == expectedScores)
        #expect(topClass == expectedTop)
        #expect(heatmapShape == [images.count] + mapShape)
        #expect(heatmap == expectedMaps)
    }
}
