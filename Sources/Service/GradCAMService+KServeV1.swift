import Explain
import HTTP
import Models
import Pipeline

/// KServe's V1 protocol (TF-Serving's REST API as KServe serves it):
///
/// - `GET /v1/models` -> `{"models": ["shapes-vgg", ...]}`
/// - `GET /v1/models/{name}` -> `{"name": ..., "ready": true}`
/// - `POST /v1/models/{name}:predict` -> `{"predictions": [<POST /predict's document>, ...]}`
/// - `POST /v1/models/{name}:explain` -> `{"explanations": [<POST /gradcam's JSON document>, ...]}`
///
/// with bodies as ``KServeV1Request`` reads them, one result per instance, in order.
/// `:explain`'s `parameters` are `POST /gradcam`'s explanation parameters
/// (`explanationParameters`, the method parameters among them), JSON strings, numbers or
/// booleans, the lists (`listParameters`) also as arrays; an unknown name is refused, as on
/// `POST /gradcam`. `:predict` takes `top`.
extension GradCAMService {
    static let v1PredictParameters: Set<String> = ["top"]

    /// The route, allowed method and handler of a `/v1/models...` path.
    func v1Route(_ path: String, _ request: HTTPRequest) -> (String, String, () async throws -> HTTPResponse)? {
        if path == "/v1/models" {
            return ("/v1/models", "GET", { try .json(["models": try self.models().models.map(\.name)]) })
        }
        let rest = String(path.dropFirst("/v1/models/".count))
        if rest.hasSuffix(":predict") {
            let name = String(rest.dropLast(":predict".count))
            return ("/v1/models/{name}:predict", "POST", { try await self.v1Predict(name, request) })
        }
        if rest.hasSuffix(":explain") {
            let name = String(rest.dropLast(":explain".count))
            return ("/v1/models/{name}:explain", "POST", { try await self.v1Explain(name, request) })
        }
        guard !rest.isEmpty, !rest.contains("/") else { return nil }
        return ("/v1/models/{name}", "GET", { try .json(KServeModelStatus(name: try self.kserveModel(rest).name, ready: true)) })
    }

    private func v1Predict(_ name: String, _ request: HTTPRequest) async throws -> HTTPResponse {
        let model = try kserveModel(name)
        let body = try KServeV1Request(body: request.body)
        let p = try Self.kserveParameters(body.parameters, accepted: Self.v1PredictParameters)
        let top = try p.int("top", in: ExplainOptions.topRange) ?? ExplainOptions().top
        let documents = try await computeEach(body.images.map(ImageInput.encoded)) { session, image in
            try session.predict(image, model: model, top: top)
        }
        return .json(bytes: try DocumentEncoding.json(["predictions": documents]))
    }

    private func v1Explain(_ name: String, _ request: HTTPRequest) async throws -> HTTPResponse {
        let model = try kserveModel(name)
        let body = try KServeV1Request(body: request.body)
        let options = try Self.options(Self.kserveParameters(body.parameters, accepted: Self.explanationParameters,
                                                             repeatable: Self.listParameters))
        let documents = try await computeEach(body.images.map(ImageInput.encoded)) { session, image in
            let output = try session.explain(image, model: model, options: options, render: false)
            return (output.document, output.timings)
        }
        return .json(bytes: try DocumentEncoding.json(["explanations": documents]))
    }
}
