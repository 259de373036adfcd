import ClientText
import Foundation
import HTTP
import Models
import Service
import TestSupport
import Testing

/// One bad request and the answer it must get.
struct BadRequest: Sendable, CustomTestStringConvertible {
    var name: String
    var bytes: [UInt8]
    var status: Int
    var code: String

    var testDescription: String { name }

    static func raw(_ name: String, _ target: String, _ body: [UInt8], type: String? = "image/png", _ status: Int, _ code: String) -> BadRequest {
        BadRequest(name: name, bytes: request("POST", target, headers: type.map { [("Content-Type", $0)] } ?? [], body: body), status: status, code: code)
    }

    static func form(_ name: String, _ target: String, _ form: Form, _ status: Int, _ code: String) -> BadRequest {
        BadRequest(name: name, bytes: request("POST", target, headers: [("Content-Type", Form.contentType)], body: form.bytes), status: status, code: code)
    }
}

private let png = Fixture.png
private let vgg = "/gradcam?model=vgg16_small"

/// Every error code of the service, each from a request that earns it.
private let badRequests: [BadRequest] = [
    .raw("no model", "/gradcam", png, 400, "missing_parameter"),
    .raw("unknown model", "/gradcam?model=resnet9000", png, 400, "unknown_model"),
    .form("model in the query and the form", vgg, Form(image: png, fields: [("model", "vgg16_small")]), 400, "invalid_parameter"),
    .raw("unknown parameter", vgg + "&colour=red", png, 400, "unknown_parameter"),
    .raw("predict takes no class", "/predict?model=vgg16_small&class=1", png, 400, "unknown_parameter"),
    .raw("alpha above 1", vgg + "&alpha=1.5", png, 400, "invalid_parameter"),
    .raw("alpha not a number", vgg + "&alpha=half", png, 400, "invalid_parameter"),
    .raw("alpha NaN", vgg + "&alpha=nan", png, 400, "invalid_parameter"),
    .raw("top zero", vgg + "&top=0", png, 400, "invalid_parameter"),
    .raw("top negative", "/predict?model=vgg16_small&top=-3", png, 400, "invalid_parameter"),
    .raw("top too large", "/predict?model=vgg16_small&top=1001", png, 400, "invalid_parameter"),
    .raw("unknown method", vgg + "&method=lime", png, 400, "invalid_parameter"),
    .raw("steps zero", vgg + "&steps=0", png, 400, "invalid_parameter"),
    .raw("samples above the limit", vgg + "&samples=1025", png, 400, "invalid_parameter"),
    .raw("noise level negative", vgg + "&noise_level=-0.1", png, 400, "invalid_parameter"),
    .raw("window zero", vgg + "&window=0", png, 400, "invalid_parameter"),
    .raw("stride not an integer", vgg + "&stride=2.5", png, 400, "invalid_parameter"),
    .raw("seed negative", vgg + "&seed=-1", png, 400, "invalid_parameter"),
    .raw("seed above 64 bits", vgg + "&seed=18446744073709551616", png, 400, "invalid_parameter"),
    .raw("unknown baseline", vgg + "&baseline=grey", png, 400, "invalid_parameter"),
    .raw("base method not a gradient attribution", vgg + "&method=smoothgrad&base_method=integrated-gradients", png, 400, "invalid_parameter"),
    .raw("aug_smooth not a boolean", vgg + "&aug_smooth=maybe", png, 400, "invalid_parameter"),
    .raw("unknown format", vgg + "&format=gif", png, 400, "invalid_parameter"),
    .raw("unknown colormap", vgg + "&colormap=rainbow", png, 400, "invalid_parameter"),
    .raw("dilate not a boolean", vgg + "&dilate=maybe", png, 400, "invalid_parameter"),
    .raw("two classes as PNG", vgg + "&class=1,2", png, 400, "invalid_parameter"),
    .raw("guided method, PNG, two classes", vgg + "&method=guided-gradcam&class=1&class=2", png, 400, "invalid_parameter"),
    .raw("65 classes", vgg + "&format=json&class=" + (0..<65).map(String.init).joined(separator: ","), png, 400, "invalid_parameter"),
    .raw("class index out of range", vgg + "&class=1000", png, 400, "unknown_class"),
    .raw("unknown class label", vgg + "&class=zebra", png, 400, "unknown_class"),
    .raw("unknown layer", vgg + "&layer=conv99", png, 400, "unknown_layer"),
    .raw("cam without a GAP head", vgg + "&method=cam", png, 400, "unsupported_for_model"),
    // `dilate` reaches the engine, which refuses AlexNet's overlapping pooling.
    .raw("dilating overlapping pooling", "/gradcam?model=alexnet_small&dilate=true", png, 400, "unsupported_for_model"),
    .form("no image part", vgg, Form(image: nil, fields: [("top", "2")]), 400, "missing_image"),
    .form("empty image part", vgg, Form(image: []), 400, "missing_image"),
    .form("file part not named image", vgg, Form(image: png, imageName: "picture"), 400, "missing_image"),
    .raw("two image parts", vgg, Array("--b\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nx\r\n--b\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\ny\r\n--b--\r\n".utf8),
         type: "multipart/form-data; boundary=b", 400, "missing_image"),
    .raw("multipart without closing boundary", vgg, Array("--b\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nxyz".utf8),
         type: "multipart/form-data; boundary=b", 400, "invalid_multipart"),
    .raw("multipart without boundary", vgg, png, type: "multipart/form-data", 400, "invalid_multipart"),
    .raw("empty raw body", vgg, [], 400, "missing_image"),
    .raw("no body, no type", vgg, [], type: nil, 415, "unsupported_media_type"),
    .raw("wrong content type", vgg, Array("hello".utf8), type: "text/plain", 415, "unsupported_media_type"),
    .raw("malformed content type", vgg, png, type: "image/", 400, "bad_request"),
    .raw("GIF bytes", vgg, Array("GIF89a\u{1}\0\u{1}\0\0\0\0;".utf8), 415, "unsupported_image"),
    .raw("not an image", vgg, Array("just some text, not pixels".utf8), type: "application/octet-stream", 415, "unsupported_image"),
    .raw("truncated PNG", vgg, Array(png.prefix(200)), 400, "invalid_image"),
    .raw("truncated JPEG", vgg, Array(Fixture.jpeg.prefix(800)), type: "image/jpeg", 400, "invalid_image"),
    .raw("PNG declaring 100000x100000", vgg, Fixture.hugePNG, 413, "image_too_large"),
]

@Suite(.timeLimit(.minutes(2))) struct ErrorTests {
    @Test(arguments: badRequests)
    func answersTheErrorThatNamesTheMistake(_ bad: BadRequest) async throws {
        try await withSharedService { port in
            let reply = try await SocketClient(port: port).exchange(bad.bytes)
            #expect(reply.status == bad.status, "\(reply.text)")
            #expect(reply.errorCode == bad.code, "\(reply.text)")
            #expect(reply.header("Content-Type") == "application/json")
            let object = try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: [String: String]]
            #expect(object?["error"]?.keys.sorted() == ["code", "message"])
            #expect(object?["error"]?["message"]?.isEmpty == false)
        }
    }

    @Test func quotesOnlyAShortPrefixOfClientInput() async throws {
        // 1500 characters: near the test server's 2048-byte target limit, far past the
        // 64 a message may quote.
        let long = String(repeating: "m", count: 1500)
        let requests = [
            request("GET", "/models/" + long),
            request("GET", "/" + long),
            request("POST", "/predict?model=" + long, headers: [("Content-Type", "image/png")], body: png),
            request("POST", "/predict?model=vgg16_small&" + long + "=1", headers: [("Content-Type", "image/png")], body: png),
            request("POST", "/predict?model=vgg16_small&top=" + long, headers: [("Content-Type", "image/png")], body: png),
            request("POST", "/predict?model=vgg16_small", headers: [("Content-Type", long)], body: png),
            request("POST", "/gradcam?model=vgg16_small&layer=" + long, headers: [("Content-Type", "image/png")], body: png),
            request("POST", "/predict?model=vgg16_small", headers: [("Content-Type", "image/png"), ("Expect", long)], body: png),
            request("POST", "/predict?model=vgg16_small", headers: [("Transfer-Encoding", long + ", chunked")]) + Array("0\r\n\r\n".utf8),
        ]
        try await withSharedService { port in
            for bytes in requests {
                let reply = try await SocketClient(port: port).exchange(bytes)
                // 4xx, or 501 for a transfer coding the server does not implement.
                #expect((400..<500).contains(reply.status) || reply.status == 501, "\(reply.text.prefix(200))")
                #expect(!reply.text.contains(String(long.prefix(ClientText.quoteLimit + 1))), "echoed more than \(ClientText.quoteLimit) characters")
                #expect(reply.text.contains("…' (1"), "\(reply.text.prefix(200))")
            }
        }
    }

    @Test func quotingCutsLongTextAndKeepsShortText() {
        #expect(ClientText.quoted("vgg16") == "'vgg16'")
        let exact = String(repeating: "é", count: ClientText.quoteLimit)
        #expect(ClientText.quoted(exact) == "'\(exact)'")
        let long = exact + "x"
        #expect(ClientText.quoted(long) == "'\(exact)…' (\(long.utf8.count) bytes)")
    }

    @Test func optionsAsteriskDescribesTheServer() async throws {
        try await withSharedService { port in
            let reply = try await SocketClient(port: port).exchange(request("OPTIONS", "*"))
            #expect(reply.status == 200)
            #expect(reply.header("Allow") == "GET, HEAD, POST, OPTIONS")
            #expect(reply.header("Content-Length") == "0")
            #expect(reply.body.isEmpty)
        }
    }

    @Test func pixelLimitIsTheConfiguredOne() async throws {
        try await withService(configure: { $0.maxImagePixels = 37 * 23 - 1 }) { _, port in
            let reply = try await post(port, "/predict?model=vgg16_small", raw: Fixture.png, contentType: "image/png")
            #expect(reply.status == 413)
            #expect(reply.errorCode == "image_too_large")
            #expect(reply.text.contains("\(37 * 23 - 1)"))
            let jpeg = try await post(port, "/predict?model=vgg16_small", raw: Fixture.jpeg, contentType: "image/jpeg")
            #expect(jpeg.status == 413)
        }
    }
}
