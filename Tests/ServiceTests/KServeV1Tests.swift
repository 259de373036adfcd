import Foundation
import TestSupport
import Testing

/// KServe's V1 protocol: the model list and status, and `:predict` / `:explain` answering
/// exactly what `POST /predict` and `POST /gradcam?format=json` answer for the same images.
@Suite(.timeLimit(.minutes(2))) struct KServeV1Tests {
    @Test func listsTheModelsAndTheirStatus() async throws {
        try await withSharedService { port in
            let list = try await get(port, "/v1/models")
            #expect(list.status == 200)
            #expect(KServeClient.object(list)["models"] as? [String] == ["alexnet_small", "vgg16_small"])
            let status = try await get(port, "/v1/models/vgg16_small")
            #expect(status.status == 200)
            #expect(KServeClient.object(status) as NSDictionary == ["name": "vgg16_small", "ready": true])
            let unknown = try await get(port, "/v1/models/resnet")
            #expect(unknown.status == 404)
            #expect(KServeClient.error(unknown)?.contains("no model 'resnet'; loaded: alexnet_small, vgg16_small") == true)
        }
    }

    @Test func predictAnswersPerInstanceWhatPredictAnswers() async throws {
        try await withSharedService { port in
            let reply = try await KServeClient.post(port, "/v1/models/vgg16_small:predict", json: [
                "instances": [["image": ["b64": KServeClient.base64(Fixture.png)]], ["b64": KServeClient.base64(Fixture.jpeg)]],
                "parameters": ["top": 3],
            ])
            #expect(reply.status == 200, "\(reply)")
            let predictions = try #require(KServeClient.object(reply)["predictions"] as? [[String: Any]])
            #expect(predictions.count == 2)
            for (index, image) in [Fixture.png, Fixture.jpeg].enumerated() {
                let direct = try await post(port, "/predict?model=vgg16_small&top=3", raw: image, contentType: "image/png")
                #expect(predictions[index] as NSDictionary == KServeClient.object(direct) as NSDictionary)
            }
        }
    }

    @Test func explainAnswersPerInstanceTheGradCAMDocument() async throws {
        try await withSharedService { port in
            let reply = try await KServeClient.post(port, "/v1/models/alexnet_small:explain", json: [
                "instances": [["image": ["b64": KServeClient.base64(Fixture.jpeg)]]],
                "parameters": ["method": "layercam", "class": [3, "7"], "layer": "/features/features.9/Relu_output_0", "top": 2],
            ])
            #expect(reply.status == 200, "\(reply)")
            let explanations = try #require(KServeClient.object(reply)["explanations"] as? [[String: Any]])
            let direct = try await post(port, "/gradcam?model=alexnet_small&format=json&method=layercam&class=3,7&layer=/features/features.9/Relu_output_0&top=2",
                                        raw: Fixture.jpeg, contentType: "image/jpeg")
            #expect(explanations.count == 1)
            #expect(explanations.first.map { $0 as NSDictionary } == KServeClient.object(direct) as NSDictionary)
            #expect((explanations.first?["explanations"] as? [Any])?.count == 2)
        }
    }

    @Test(arguments: [
        ("not json", "the request body is not valid JSON"),
        (#"[1]"#, #"the body must be a JSON object with "instances""#),
        (#"{"inputs": []}"#, #"unknown key 'inputs'; accepted: instances, parameters"#),
        (#"{"instances": {}}"#, #""instances" must be an array"#),
        (#"{"instances": []}"#, #""instances" holds 0 items; send 1 to 16 per request"#),
        (#"{"instances": [{"image": "aGVsbG8="}]}"#, #"instance 0 must be {"image": {"b64": "<base64 PNG or JPEG>"}} or {"b64": "..."}"#),
        (#"{"instances": [{"b64": "aGVsbG8=", "extra": 1}]}"#, "instance 0 must be"),
        (#"{"instances": [{"image": {"b64": 5}}]}"#, "instance 0 must be"),
        (#"{"instances": [{"b64": "not base64!"}]}"#, #"instance 0's "b64" is not standard base64"#),
        (#"{"instances": [{"b64": ""}]}"#, #"instance 0's "b64" is empty"#),
        (#"{"instances": [{"b64": "aGVsbG8="}], "parameters": []}"#, #""parameters" must be an object, not an array"#),
        (#"{"instances": [{"b64": "aGVsbG8="}], "parameters": {"format": "png"}}"#, "unknown parameter 'format'; accepted: top"),
        (#"{"instances": [{"b64": "aGVsbG8="}], "parameters": {"top": 0}}"#, "parameter 'top': '0' is not an integer in 1...1000"),
        (#"{"instances": [{"b64": "aGVsbG8="}], "parameters": {"top": {"a": 1}}}"#, "parameter 'top': is an object"),
        (#"{"instances": [{"b64": "aGVsbG8="}]}"#, "unrecognized image format; accepted formats"),
    ])
    func refusesABadPredictBody(body: String, message: String) async throws {
        try await withSharedService { port in
            let reply = try await post(port, "/v1/models/vgg16_small:predict", raw: Array(body.utf8), contentType: "application/json")
            #expect((400..<500).contains(reply.status), "\(reply)")
            #expect(KServeClient.error(reply)?.contains(message) == true, "\(reply)")
        }
    }

    /// Deep nesting and many small values are refused before decoding (a decoded value takes
    /// many times its text); brackets, commas and escaped quotes inside strings do not count.
    @Test func refusesDeeplyNestedAndManyValuedJSONBeforeDecoding() async throws {
        try await withSharedService { port in
            let cases = [
                (String(repeating: "[", count: 100_000), "the request body nests arrays and objects more than 32 deep"),
                (String(repeating: #"{"a":"#, count: 33), "the request body nests arrays and objects more than 32 deep"),
                ("[" + String(repeating: "0,", count: 1023) + "0]", "the request body holds more than 1024 JSON values; send at most 16 images and a few parameters"),
                (String(repeating: "[", count: 32) + String(repeating: "]", count: 32), #"the body must be a JSON object with "instances""#),
                (#"{"instances": [{"b64": "aGVsbG8="}], "parameters": {"top": "\"[[[,,,"}, "x": ""#
                    + String(repeating: "[{,", count: 2000) + #""}"#, "unknown key 'x'; accepted: instances, parameters"),
            ]
            for (body, message) in cases {
                let reply = try await post(port, "/v1/models/vgg16_small:predict", raw: Array(body.utf8), contentType: "application/json")
                #expect(reply.status == 400)
                #expect(KServeClient.error(reply) == message)
            }
        }
    }

    @Test func refusesMoreThanSixteenInstancesAndBadExplainParameters() async throws {
        try await withSharedService { port in
            let many = try await KServeClient.post(port, "/v1/models/vgg16_small:predict",
                                                   json: ["instances": Array(repeating: ["b64": KServeClient.base64(Fixture.png)], count: 17)])
            #expect(many.status == 400)
            #expect(KServeClient.error(many)?.contains("holds 17 items; send 1 to 16") == true)
            let method = try await KServeClient.post(port, "/v1/models/vgg16_small:explain",
                                                     json: ["instances": [["b64": KServeClient.base64(Fixture.png)]], "parameters": ["method": "magic"]])
            #expect(method.status == 400)
            #expect(KServeClient.error(method)?.contains("parameter 'method': 'magic' is not one of gradcam") == true)
            let nested = try await KServeClient.post(port, "/v1/models/vgg16_small:explain",
                                                     json: ["instances": [["b64": KServeClient.base64(Fixture.png)]], "parameters": ["class": [[1]]]])
            #expect(nested.status == 400)
            #expect(KServeClient.error(nested)?.contains("parameter 'class': is an array") == true)
        }
    }

    @Test func answersUnknownModelsAndWrongMethodsInKServesShape() async throws {
        try await withSharedService { port in
            let unknown = try await KServeClient.post(port, "/v1/models/resnet:predict", json: ["instances": [["b64": "aGk="]]])
            #expect(unknown.status == 404)
            #expect(KServeClient.error(unknown)?.contains("no model 'resnet'") == true)
            let getPredict = try await get(port, "/v1/models/vgg16_small:predict")
            #expect(getPredict.status == 405)
            #expect(getPredict.header("Allow") == "POST")
            #expect(KServeClient.error(getPredict) == "'GET' is not allowed on '/v1/models/vgg16_small:predict'; use POST")
            let postList = try await post(port, "/v1/models", raw: [], contentType: nil)
            #expect(postList.status == 405)
            #expect(postList.header("Allow") == "GET, HEAD")
            let deeper = try await get(port, "/v1/models/vgg16_small/versions/1")
            #expect(deeper.status == 404)
            #expect(KServeClient.error(deeper)?.contains("no such path") == true)
        }
    }
}
