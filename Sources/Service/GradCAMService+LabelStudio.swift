import ClientText
import Foundation
import HTTP
import Models
import Pipeline

/// The Label Studio ML backend protocol (as label-studio-ml 2.x backends answer it), mounted per
/// model under `/label-studio/{model}/`: Label Studio is given `http://host:port/label-studio/{model}`
/// as the backend URL and calls `health`, `setup`, `predict` and `webhook` below it. The prefix
/// keeps the server's own `POST /predict` (an image upload) apart from the backend's.
extension GradCAMService {
    static let labelStudioPrefix = "/label-studio/"
    /// Tasks in one `predict` call. Label Studio sends every task it asks predictions for in one
    /// call (one when a task is opened; all selected for "Retrieve predictions"); each task
    /// is fetched and explained in turn, each within the server's timeout.
    static let labelStudioMaximumTasks = 1000
    /// The webhook events a training backend acts on (label-studio-ml's `TRAIN_EVENTS`).
    static let labelStudioTrainEvents: Set<String> = ["ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATION_DELETED", "START_TRAINING"]

    /// The route label, the method allowed (nil for a path that is not a route) and the handler
    /// of a path under ``labelStudioPrefix``.
    func labelStudioRoute(_ request: HTTPRequest) -> (String, String?, () async throws -> HTTPResponse) {
        let rest = request.path.dropFirst(Self.labelStudioPrefix.count).split(separator: "/", omittingEmptySubsequences: false)
        guard rest.count == 2, !rest[0].isEmpty else {
            return ("/label-studio/other", nil, {
                throw ServiceError(.notFound, "not_found", "Label Studio backend paths are /label-studio/{model}/health, setup, predict and webhook")
            })
        }
        let name = String(rest[0])
        func model() throws -> LoadedModel { try self.models().model(named: name) }
        switch rest[1] {
        case "health": return ("/label-studio/{model}/health", "GET", { _ = try model(); return try .json(["status": "UP", "model_class": "gradcam-server"]) })
        case "setup": return ("/label-studio/{model}/setup", "POST", { try self.labelStudioSetup(request, model: try model()) })
        case "predict": return ("/label-studio/{model}/predict", "POST", { try await self.labelStudioPredict(request, model: try model()) })
        case "webhook": return ("/label-studio/{model}/webhook", "POST", { _ = try model(); return try self.labelStudioWebhook(request) })
        default:
            return ("/label-studio/other", nil, {
                throw ServiceError(.notFound, "not_found", "no Label Studio backend route \(ClientText.quoted(rest[1])); use health, setup, predict or webhook")
            })
        }
    }

    /// `POST setup` (`{"project", "schema", "model_version", …}`): checks that the labeling config
    /// names some of the model's classes; answers `{"model_version"}`.
    func labelStudioSetup(_ request: HTTPRequest, model: LoadedModel) throws -> HTTPResponse {
        let body = try Self.jsonObject(request.body)
        guard let schema = body["schema"] as? String else {
            throw ServiceError(.badRequest, "invalid_body", "setup needs \"schema\", the project's labeling config")
        }
        let config = try Self.labelStudioConfig(schema)
        let labels = try Self.labelStudioLabels(config, model: model)
        return try .json(SetupAnswer(modelVersion: model.name, warnings: Self.labelStudioWarnings(labels, model: model)))
    }

    /// `POST predict` (`{"tasks": [{"id", "data": {"image": "/data/upload/…"}}], "label_config", …}`):
    /// per task, the image fetched (``LabelStudioBackendSettings``), its top class among those
    /// the config's labels name explained, and the regions of ``LabelStudioExport``; answers
    /// `{"results": [answer per task], "model_version", "warnings"}`. A task whose image cannot
    /// be fetched or explained gets no prediction (``TaskAnswer/failed``), logged, counted and
    /// named in `warnings`, and the others are answered; only the server's own state (overload,
    /// its deadline, a drain) fails the whole call, which Label Studio can retry.
    func labelStudioPredict(_ request: HTTPRequest, model: LoadedModel) async throws -> HTTPResponse {
        let body = try Self.jsonObject(request.body)
        guard let tasks = body["tasks"] as? [Any], let schema = body["label_config"] as? String else {
            throw ServiceError(.badRequest, "invalid_body", "predict needs \"tasks\" (a list) and \"label_config\"")
        }
        guard tasks.count <= Self.labelStudioMaximumTasks else {
            throw ServiceError(.contentTooLarge, "too_many_tasks", "\(tasks.count) tasks in one call; at most \(Self.labelStudioMaximumTasks)")
        }
        let config = try Self.labelStudioConfig(schema)
        let labels = try Self.labelStudioLabels(config, model: model)
        var results: [TaskAnswer] = []
        var warnings = Self.labelStudioWarnings(labels, model: model)
        for (index, task) in tasks.enumerated() {
            do {
                results.append(.prediction(try await labelStudioPrediction(task, index: index, config: config, labels: labels, model: model)))
            } catch {
                let reason: String
                if let error = error as? FetchError {
                    reason = "the image was not fetched: \(error)"
                } else {
                    let failure = ServiceError(error)
                    guard failure.status != .serviceUnavailable, failure.status.code != 499 else { throw failure }
                    reason = failure.message
                }
                let id = ((task as? [String: Any])?["id"]).map { ClientText.quoted("\($0)") } ?? "none"
                let message = "task \(index) (id \(id)) has no prediction: \(reason)"
                configuration.log("label-studio/\(model.name): \(message)")
                countLabelStudioTaskFailure()
                warnings.append(message)
                results.append(.failed)
            }
        }
        return try .json(PredictAnswer(results: results, modelVersion: model.name, warnings: warnings))
    }

    /// The prediction for one task: its image fetched, the top class among `labels` explained.
    private func labelStudioPrediction(_ task: Any, index: Int, config: LabelStudioConfig, labels: LabelStudioLabels,
                                       model: LoadedModel) async throws -> LabelStudioPrediction {
        guard let data = (task as? [String: Any])?["data"] as? [String: Any], let reference = data[config.imageKey] as? String else {
            throw ServiceError(.badRequest, "invalid_body", "it has no data.\(ClientText.quoted(config.imageKey)) string (the <Image> tag's value)")
        }
        let settings = configuration.labelStudio
        let image = try await URLFetcher(policy: settings.fetch).fetch(try settings.absolute(reference))
        let (prediction, _) = try await compute { session in
            let (ranked, first) = try session.predict(image, model: model, top: model.labels.count)
            var options = ExplainOptions()
            let chosen = ranked.predictions.first { labels.classes.contains($0.classIndex) }?.classIndex ?? labels.classes[0]
            options.classes = [String(chosen)]
            let output = try session.explain(image, model: model, options: options, render: false)
            var timings = output.timings
            timings.forward += first.forward
            timings.decode += first.decode
            return (LabelStudioExport.prediction(output.document, config: config), timings)
        }
        return prediction
    }

    /// `POST webhook`: training events are accepted (201) and nothing is trained, as a
    /// label-studio-ml backend without `fit` answers; other events get `{"status": "Unknown event"}`.
    func labelStudioWebhook(_ request: HTTPRequest) throws -> HTTPResponse {
        guard let action = try Self.jsonObject(request.body)["action"] as? String else {
            throw ServiceError(.badRequest, "invalid_body", "a webhook needs \"action\"")
        }
        guard Self.labelStudioTrainEvents.contains(action) else { return try .json(["status": "Unknown event"]) }
        return try .json([String: String](), status: .created)
    }

    struct SetupAnswer: Encodable {
        var modelVersion: String
        var warnings: [String]
        enum CodingKeys: String, CodingKey { case modelVersion = "model_version", warnings }
    }

    /// One task's answer in `results`: its prediction, or, when it failed, an empty list of
    /// predictions (label-studio-ml 2.x answers a list or one prediction per task): Label Studio
    /// stores none for the task, so asking for its predictions again retries it.
    enum TaskAnswer: Encodable {
        case prediction(LabelStudioPrediction)
        case failed

        func encode(to encoder: any Encoder) throws {
            switch self {
            case let .prediction(prediction): try prediction.encode(to: encoder)
            case .failed: _ = encoder.unkeyedContainer()
            }
        }
    }

    struct PredictAnswer: Encodable {
        var results: [TaskAnswer]
        var modelVersion: String
        var warnings: [String]
        enum CodingKeys: String, CodingKey { case results, modelVersion = "model_version", warnings }
    }

    static func jsonObject(_ body: [UInt8]) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw ServiceError(.badRequest, "invalid_body", "the body is not a JSON object")
        }
        return object
    }

    static func labelStudioConfig(_ schema: String) throws -> LabelStudioConfig {
        do {
            return try LabelStudioConfig.parse(schema)
        } catch {
            throw ServiceError(.badRequest, "invalid_label_config", "\(error)")
        }
    }

    static func labelStudioLabels(_ config: LabelStudioConfig, model: LoadedModel) throws -> LabelStudioLabels {
        do {
            return try LabelStudioLabels(config: config, classLabels: model.labels)
        } catch {
            throw ServiceError(.badRequest, "no_matching_labels", "\(model.name): \(error)")
        }
    }

    static func labelStudioWarnings(_ labels: LabelStudioLabels, model: LoadedModel) -> [String] {
        labels.ignored.map { "label \(ClientText.quoted($0)) names no class of \(model.name); it is ignored" }
    }
}
