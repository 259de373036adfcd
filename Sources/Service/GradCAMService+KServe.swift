import ClientText
import HTTP
import Models
import Pipeline

/// What KServe's two REST protocols share: their routes, their error shape and running a
/// request's images on one worker.
extension GradCAMService {
    /// Images in one KServe request (V1 `instances`, V2 batch size). They run one after the
    /// other on one worker within the request's deadline; the bound keeps one request from
    /// holding a worker for long. Their bytes are bounded by the body limit (`--max-body-mb`).
    static let kserveMaxImages = 16

    /// The KServe route of `request`, if its path is one: `/v1/models...` (V1) or `/v2...`
    /// (Open Inference Protocol). The label is the route's template, for metrics.
    func kserveRoute(_ request: HTTPRequest) -> (String, () async throws -> HTTPResponse)? {
        let path = request.path
        let method = request.method == "HEAD" ? "GET" : request.method
        let route: (String, String, () async throws -> HTTPResponse)?
        if path == "/v1/models" || path.hasPrefix("/v1/models/") {
            route = v1Route(path, request)
        } else if path == "/v2" || path.hasPrefix("/v2/") {
            route = openInferenceRoute(path, request)
        } else {
            return nil
        }
        guard let route else {
            return ("other", { Self.kserveError(ServiceError(.notFound, "not_found", "no such path \(ClientText.quoted(path)); see GET /openapi.yaml")) })
        }
        let (label, allowed, handler) = route
        guard method == allowed else {
            return (label, {
                var response = Self.kserveError(ServiceError(.methodNotAllowed, "method_not_allowed",
                                                             "\(ClientText.quoted(request.method)) is not allowed on \(ClientText.quoted(path)); use \(allowed)"))
                response.headers["Allow"] = allowed == "GET" ? "GET, HEAD" : allowed
                return response
            })
        }
        return (label, {
            do {
                return try await handler()
            } catch {
                return Self.kserveError(ServiceError(error))
            }
        })
    }

    /// KServe's error shape, `{"error": "message"}` (both protocols), with the status and
    /// headers the service's own shape would have.
    static func kserveError(_ error: ServiceError) -> HTTPResponse {
        var response = error.response
        response.body = (try? DocumentEncoding.json(["error": error.message])) ?? []
        return response
    }

    /// The loaded model named in a path: 404 when there is none.
    func kserveModel(_ name: String) throws -> LoadedModel {
        let registry = try models()
        guard let model = registry.models.first(where: { $0.name == name }) else {
            throw ServiceError(.notFound, "unknown_model",
                               "no model \(ClientText.quoted(name)); loaded: \(registry.models.map(\.name).joined(separator: ", "))")
        }
        return model
    }

    /// Request parameters from a JSON object, checked against `accepted`: strings, numbers
    /// and booleans (as a query string would carry them), and arrays of them where
    /// `repeatable` allows.
    static func kserveParameters(_ object: [String: JSONValue], accepted: Set<String>,
                                 repeatable: Set<String> = []) throws -> RequestParameters {
        var pairs: [(name: String, value: String)] = []
        for (name, value) in object.sorted(by: { $0.key < $1.key }) {
            let values: [JSONValue]
            if case let .array(items) = value, repeatable.contains(name) { values = items } else { values = [value] }
            for item in values {
                guard let text = item.parameterText else {
                    throw ServiceError.badParameter(name, "is \(item.typeName); give a string, a number or a boolean"
                                                    + (repeatable.contains(name) ? ", or an array of them" : ""))
                }
                pairs.append((name, text))
            }
        }
        return try RequestParameters(pairs, accepted: accepted)
    }

    /// Runs `work` for each image on one worker (one queue slot, one deadline), summing the
    /// stage times.
    func computeEach<T: Sendable>(_ images: [ImageInput],
                                  _ work: @escaping @Sendable (ExplainSession, ImageInput) throws -> (T, PipelineTimings)) async throws -> [T] {
        let (results, _) = try await compute { session in
            var results: [T] = []
            var total = PipelineTimings()
            for image in images {
                try session.cancellation?.check()
                let (result, timings) = try work(session, image)
                results.append(result)
                total.decode += timings.decode
                total.preprocess += timings.preprocess
                total.forward += timings.forward
                total.backward += timings.backward
                total.map += timings.map
                total.encode += timings.encode
            }
            return (results, total)
        }
        return results
    }
}

extension ServiceError {
    /// A KServe request body that does not follow its protocol; `message` says what is accepted.
    static func invalidRequest(_ message: String) -> ServiceError {
        ServiceError(.badRequest, "bad_request", message)
    }
}

/// `GET /v1/models/{name}` and `GET /v2/models/{name}/ready`: a model's status.
struct KServeModelStatus: Encodable {
    let name: String
    let ready: Bool
}
