import ClientText
import Foundation

/// The body of KServe V1's `:predict` and `:explain`:
///
///     {"instances": [{"image": {"b64": "<base64 PNG or JPEG>"}}, ...],
///      "parameters": {"method": "gradcam", "class": [3, "circle"], "layer": "relu5_3", "top": 5}}
///
/// An instance is TF-Serving's binary convention, a key whose value is `{"b64": ...}` (the key
/// is `image`), or that value alone (`{"b64": ...}`). `parameters` is optional.
struct KServeV1Request {
    /// The decoded images, one per instance, in order.
    var images: [[UInt8]]
    var parameters: [String: JSONValue]

    init(body: [UInt8]) throws {
        guard case let .object(root) = try JSONValue.parse(body, what: "the request body") else {
            throw ServiceError.invalidRequest("the body must be a JSON object with \"instances\"")
        }
        if let unknown = root.keys.sorted().first(where: { $0 != "instances" && $0 != "parameters" }) {
            throw ServiceError.invalidRequest("unknown key \(ClientText.quoted(unknown)); accepted: instances, parameters")
        }
        guard case let .array(instances)? = root["instances"] else {
            throw ServiceError.invalidRequest("\"instances\" must be an array of {\"image\": {\"b64\": \"...\"}}")
        }
        guard (1...GradCAMService.kserveMaxImages).contains(instances.count) else {
            throw ServiceError.invalidRequest("\"instances\" holds \(instances.count) items; send 1 to \(GradCAMService.kserveMaxImages) per request")
        }
        switch root["parameters"] {
        case nil, .null?: parameters = [:]
        case let .object(object)?: parameters = object
        case let other?: throw ServiceError.invalidRequest("\"parameters\" must be an object, not \(other.typeName)")
        }
        images = try instances.enumerated().map { index, instance in try Self.image(instance, index: index) }
    }

    /// The image of one instance: `{"image": {"b64": ...}}` or `{"b64": ...}`.
    private static func image(_ instance: JSONValue, index: Int) throws -> [UInt8] {
        let accepted = "instance \(index) must be {\"image\": {\"b64\": \"<base64 PNG or JPEG>\"}} or {\"b64\": \"...\"}"
        guard case let .object(object) = instance, object.count == 1 else { throw ServiceError.invalidRequest(accepted) }
        let binary: JSONValue
        if let image = object["image"] {
            guard case let .object(inner) = image, inner.count == 1 else { throw ServiceError.invalidRequest(accepted) }
            binary = .object(inner)
        } else {
            binary = instance
        }
        guard case let .object(b64Object) = binary, case let .string(text)? = b64Object["b64"] else { throw ServiceError.invalidRequest(accepted) }
        return try decodeBase64(text, what: "instance \(index)'s \"b64\"")
    }
}

/// Standard base64 (RFC 4648 §4, with padding) to bytes; `what` names the value in errors.
/// Its length is already bounded by the body's; an empty result is refused.
func decodeBase64(_ text: String, what: String) throws -> [UInt8] {
    guard let data = Data(base64Encoded: text) else {
        throw ServiceError.invalidRequest("\(what) is not standard base64 (A-Z, a-z, 0-9, +, /, padded with =)")
    }
    guard !data.isEmpty else {
        throw ServiceError(.badRequest, "missing_image", "\(what) is empty; send a base64-encoded PNG or JPEG")
    }
    return Array(data)
}
