import Foundation
import TestSupport

/// Requests as KServe's clients send them, and their answers read back.
enum KServeClient {
    /// `POST target` with `object` as a JSON body.
    static func post(_ port: Int, _ target: String, json object: Any) async throws -> WireResponse {
        let body = Array(try JSONSerialization.data(withJSONObject: object))
        return try await SocketClient(port: port).exchange(request("POST", target, headers: [("Content-Type", "application/json")], body: body))
    }

    /// `POST target` with a JSON header and binary tensor data after it (the binary extension).
    static func post(_ port: Int, _ target: String, header object: Any, binary: [UInt8],
                     declaredLength: String? = nil) async throws -> WireResponse {
        let header = Array(try JSONSerialization.data(withJSONObject: object))
        return try await SocketClient(port: port).exchange(request(
            "POST", target,
            headers: [("Content-Type", "application/octet-stream"), ("Inference-Header-Content-Length", declaredLength ?? String(header.count))],
            body: header + binary))
    }

    /// The body as a JSON object (`[:]` when it is not one).
    static func object(_ reply: WireResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(reply.body))) as? [String: Any] ?? [:]
    }

    /// The message of KServe's error shape `{"error": "message"}`; `nil` for any other body.
    static func error(_ reply: WireResponse) -> String? {
        object(reply)["error"] as? String
    }

    /// A BYTES tensor in the binary extension's layout (4-byte little-endian length, bytes).
    static func bytesTensor(_ elements: [[UInt8]]) -> [UInt8] {
        elements.flatMap { element in withUnsafeBytes(of: UInt32(element.count).littleEndian, Array.init) + element }
    }

    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }
}
