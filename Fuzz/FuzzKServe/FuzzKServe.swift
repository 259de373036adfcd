import FuzzSupport
import HTTP
import Pipeline
@testable import Service

/// Fuzzes the bodies of KServe's routes as they read them: `InferenceRequest` (V2 `infer`,
/// JSON with the binary tensor data extension) and `KServeV1Request` (V1 `:predict` and
/// `:explain`). The input's first line is the `Inference-Header-Content-Length` value (none
/// when the line is empty); the rest is the body.
///
/// Invariants on success: 1 to 16 images, none empty, together no bigger than the body (base64
/// only shrinks; binary elements are slices of it; an FP32 image's pixel bytes each come from
/// at least one byte of JSON or four of binary data, within the pixel limit); V2 outputs unique
/// and not empty; and a second parse of the same bytes agrees.
func fuzzKServe(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = fuzzInput(data, count)
    let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
    let length = String(decoding: bytes[..<newline], as: UTF8.self)
    let body = Array(bytes[min(newline + 1, bytes.endIndex)...])
    var headers = HTTPHeaders()
    if !length.isEmpty { headers.add(name: InferenceRequest.headerLengthField, value: length) }
    let request = HTTPRequest(method: "POST", target: "/v2/models/m/infer", headers: headers, body: body)

    if let inference = try? InferenceRequest(request, pixelLimit: pixelLimit) {
        check(inference.images.map(payload), body: body, what: "V2")
        for case let .pixels(image) in inference.images {
            invariant(image.width * image.height <= pixelLimit, "V2: a \(image.width)x\(image.height) image passed the limit of \(pixelLimit) pixels")
        }
        let outputs = inference.outputs.map(\.output)
        invariant(!outputs.isEmpty && Set(outputs).count == outputs.count, "V2 outputs empty or repeated: \(outputs)")
        let again = try? InferenceRequest(request, pixelLimit: pixelLimit)
        invariant(again?.images == inference.images && again?.outputs == inference.outputs, "two V2 parses of the same bytes differ")
    }
    if let v1 = try? KServeV1Request(body: body) {
        check(v1.images, body: body, what: "V1")
        invariant((try? KServeV1Request(body: body))?.images == v1.images, "two V1 parses of the same bytes differ")
    }
    return 0
}

/// The FP32 images' pixel limit here: small, so that the fuzzer's inputs reach it.
private let pixelLimit = 4096

/// What an image holds: an encoded image's bytes, or a decoded one's pixels.
private func payload(_ image: ImageInput) -> [UInt8] {
    switch image {
    case let .encoded(bytes): bytes
    case let .pixels(image): image.pixels
    }
}

private func check(_ images: [[UInt8]], body: [UInt8], what: String) {
    invariant((1...GradCAMService.kserveMaxImages).contains(images.count), "\(what): \(images.count) images passed")
    invariant(images.allSatisfy { !$0.isEmpty }, "\(what): an empty image passed")
    let total = images.reduce(0) { $0 + $1.count }
    invariant(total <= body.count, "\(what): \(total) image bytes from a \(body.count)-byte body")
}
