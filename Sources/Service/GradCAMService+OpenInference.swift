import ClientText
import Explain
import HTTP
import Models
import Pipeline

/// The Open Inference Protocol (KServe's V2) over REST:
///
/// - `GET /v2/health/live`, `GET /v2/health/ready` -> `{"live": true}`, `{"ready": true}` (503 while loading or draining)
/// - `GET /v2` -> server metadata; `GET /v2/models/{name}` -> the model's inputs and outputs
/// - `GET /v2/models/{name}/ready` -> `{"name": ..., "ready": true}`
/// - `POST /v2/models/{name}/infer` -> ``InferenceRequest`` in, ``InferenceResponse`` out
///
/// The model's one input is `image` (BYTES `[N]`, encoded images, or FP32 `[N, 3, H, W]` /
/// `[N, H, W, 3]`, pixel values 0 to 255; its metadata names BYTES, which takes any size); its outputs are
/// ``InferenceOutput``'s. `parameters` take `POST /gradcam`'s explanation parameters
/// (`explanationParameters`: `method`, `class` (one index or label: the class `heatmap` and
/// `explanation` explain; default the top-1), `layer` (a name or a comma list to fuse), `top`
/// (predictions in `explanation`), `dilate`, the method parameters and the metrics), each a
/// scalar as the protocol's parameters are; an unknown name is refused, as on `POST /gradcam`.
extension GradCAMService {
    /// The route, allowed method and handler of a `/v2...` path.
    func openInferenceRoute(_ path: String, _ request: HTTPRequest) -> (String, String, () async throws -> HTTPResponse)? {
        switch path {
        case "/v2": return ("/v2", "GET", { try .json(InferenceServerMetadata()) })
        case "/v2/health/live": return ("/v2/health/live", "GET", { try .json(["live": true]) })
        case "/v2/health/ready": return ("/v2/health/ready", "GET", { _ = try self.readiness(); return try .json(["ready": true]) })
        default: break
        }
        let parts = path.dropFirst("/v2/".count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts[0] == "models", !parts[1].isEmpty else { return nil }
        let name = parts[1]
        switch parts.count == 3 ? parts[2] : parts.count == 2 ? "" : "/" {
        case "": return ("/v2/models/{name}", "GET", { try .json(self.inferenceMetadata(self.kserveModel(name))) })
        case "ready": return ("/v2/models/{name}/ready", "GET", { try .json(KServeModelStatus(name: self.kserveModel(name).name, ready: true)) })
        case "infer": return ("/v2/models/{name}/infer", "POST", { try await self.infer(name, request) })
        default: return nil
        }
    }

    func inferenceMetadata(_ model: LoadedModel) -> InferenceModelMetadata {
        typealias T = InferenceModelMetadata.TensorMetadata
        return InferenceModelMetadata(
            name: model.name,
            inputs: [T(name: InferenceRequest.inputName, datatype: "BYTES", shape: [-1])],
            outputs: [T(name: InferenceOutput.probabilities.rawValue, datatype: "FP32", shape: [-1, model.labels.count]),
                      T(name: InferenceOutput.topClass.rawValue, datatype: "INT64", shape: [-1]),
                      T(name: InferenceOutput.heatmap.rawValue, datatype: "FP32", shape: [-1, -1, -1]),
                      T(name: InferenceOutput.explanation.rawValue, datatype: "BYTES", shape: [-1])])
    }

    /// What one image gives: all the predictions (every class, by score), and the explanation
    /// document when an output needs it.
    private struct Inferred: Sendable {
        var predictions: [Prediction]
        var document: ExplanationDocument?
    }

    private func infer(_ name: String, _ request: HTTPRequest) async throws -> HTTPResponse {
        let model = try kserveModel(name)
        let inference = try InferenceRequest(request, pixelLimit: configuration.maxImagePixels)
        let options = try Self.options(Self.kserveParameters(inference.parameters, accepted: Self.explanationParameters))
        guard options.classes.count <= 1 else {
            throw ServiceError.badParameter("class", "infer explains one class per image (heatmap is [N, h, w]); give one index or label")
        }
        let classCount = model.labels.count
        let top = options.top
        // Every class's score comes from the predictions, which list at most `topRange`'s bound.
        guard classCount <= ExplainOptions.topRange.upperBound else {
            throw ServiceError(.badRequest, "unsupported_for_model",
                               "model \(ClientText.quoted(model.name)) has \(classCount) classes; infer serves models of at most \(ExplainOptions.topRange.upperBound)")
        }
        let explain = inference.outputs.contains { $0.output.needsExplanation }
        let results = try await computeEach(inference.images) { session, image -> (Inferred, PipelineTimings) in
            if explain {
                var everyClass = options
                everyClass.top = classCount
                let output = try session.explain(image, model: model, options: everyClass, render: false)
                return (Inferred(predictions: output.document.predictions, document: output.document), output.timings)
            }
            let (document, timings) = try session.predict(image, model: model, top: classCount)
            return (Inferred(predictions: document.predictions, document: nil), timings)
        }
        let outputs = try inference.outputs.map { requested in
            (try Self.tensor(requested.output, results, classCount: classCount, top: top), inference.isBinary(requested))
        }
        return try InferenceResponse(modelName: model.name, id: inference.id, outputs: outputs).http
    }

    /// The tensor of `output` for the batch's `results`.
    private static func tensor(_ output: InferenceOutput, _ results: [Inferred], classCount: Int, top: Int) throws -> InferenceTensor {
        let n = results.count
        switch output {
        case .probabilities:
            var scores = [Float](repeating: 0, count: n * classCount)
            for (i, result) in results.enumerated() {
                for p in result.predictions { scores[i * classCount + p.classIndex] = p.score }
            }
            return InferenceTensor(name: output.rawValue, shape: [n, classCount], values: .fp32(scores))
        case .topClass:
            return InferenceTensor(name: output.rawValue, shape: [n], values: .int64(results.map { Int64($0.predictions[0].classIndex) }))
        case .heatmap:
            let maps = results.compactMap { $0.document?.explanations.first?.map }
            let shapes = Set(maps.map { ($0.channels.map { [$0] } ?? []) + [$0.height, $0.width] })
            guard maps.count == n, shapes.count == 1, let shape = shapes.first else {
                throw ServiceError(.internalServerError, "internal", "the batch's maps differ in shape: \(shapes.sorted { $0.lexicographicallyPrecedes($1) })")
            }
            return InferenceTensor(name: output.rawValue, shape: [n] + shape, values: .fp32(maps.flatMap(\.data)))
        case .explanation:
            let documents = try results.map { result in
                guard var document = result.document else {
                    throw ServiceError(.internalServerError, "internal", "no explanation was computed for the explanation output")
                }
                document.predictions = Array(document.predictions.prefix(top))
                return try DocumentEncoding.json(document)
            }
            return InferenceTensor(name: output.rawValue, shape: [n], values: .bytes(documents))
        }
    }
}
