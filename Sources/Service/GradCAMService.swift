import ClientText
import Foundation
import HTTP
import Models
import Pipeline

/// The application as the HTTP server sees it: routes, model registry, worker pool and
/// metrics. Callable without sockets (`respond(to:)`), which is how its tests drive it.
public final class GradCAMService: HTTPResponder, @unchecked Sendable {
    public let configuration: ServiceConfiguration
    let pool: WorkerPool
    let metrics = Metrics()
    private let lock = NSLock()
    private var registry: ModelRegistry?
    /// Set by ``beginDrain()``; guarded by `lock`.
    private var draining = false
    /// Label Studio tasks answered without a prediction; guarded by `lock`.
    private var labelStudioTaskFailures = 0
    private let clock = ContinuousClock()

    public init(configuration: ServiceConfiguration) {
        self.configuration = configuration
        pool = WorkerPool(workers: configuration.workers, threadsPerWorker: configuration.threadsPerWorker,
                          queueCapacity: configuration.queueCapacity, batching: configuration.batching,
                          pixelLimit: configuration.maxImagePixels)
    }

    /// Loads every model of the models directory (call once, off the request path);
    /// `/readyz` answers 200 afterwards. Returns the registry for logging.
    @discardableResult
    public func loadModels() throws -> ModelRegistry {
        var loaded = try ModelRegistry(directory: configuration.modelsDirectory)
        loaded.loadAll()
        lock.withLock { registry = loaded }
        return loaded
    }

    /// The loaded models, or `not_ready` while they load.
    func models() throws -> ModelRegistry {
        guard let registry = lock.withLock({ registry }) else {
            throw ServiceError(.serviceUnavailable, "not_ready", "the models are still loading", retryAfter: 2)
        }
        return registry
    }

    /// Stops the workers after the queued and running jobs finish.
    public func shutdown() {
        pool.shutdown()
    }

    /// The start of a graceful shutdown: from now on `/readyz` answers 503, so load
    /// balancers take the instance out of rotation while it still answers, and new
    /// work (a POST) is refused with 503, `Retry-After` and `Connection: close`, so
    /// the client retries on another instance. Requests already admitted finish.
    public func beginDrain() {
        lock.withLock { draining = true }
    }

    private var isDraining: Bool {
        lock.withLock { draining }
    }

    func countLabelStudioTaskFailure() {
        lock.withLock { labelStudioTaskFailures += 1 }
    }

    /// Decides on a request from its head, before its body is read: the API key
    /// (through ``authorize(_:)``, the one place that decides it) and, once draining,
    /// the refusal of new work.
    public func screen(head request: HTTPRequest) -> HTTPResponse? {
        do {
            try authorize(request)
            try refuseNewWorkWhileDraining(request)
            return nil
        } catch {
            let response = ServiceError(error).response
            metrics.record(route: route(request).0, status: response.status.code, seconds: 0)
            return response
        }
    }

    public func respond(to request: HTTPRequest) async -> HTTPResponse {
        let start = clock.now
        let (route, handler) = route(request)
        var response: HTTPResponse
        do {
            try authorize(request)
            response = try await handler()
        } catch {
            response = ServiceError(error).response
        }
        metrics.record(route: route, status: response.status.code, seconds: (clock.now - start).seconds)
        return response
    }

    private func refuseNewWorkWhileDraining(_ request: HTTPRequest) throws {
        guard request.method == "POST", isDraining else { return }
        throw ServiceError.shuttingDown
    }

    /// Checks the API key where one is needed: on POST requests, or on all with `protectAll`
    /// except the demo page and its assets (they hold no data; the page asks for the key). The
    /// Label Studio backend's routes also take the key as an HTTP Basic password, which is what
    /// Label Studio can send.
    private func authorize(_ request: HTTPRequest) throws {
        guard let keys = configuration.apiKeys, request.method == "POST" || (configuration.protectAll && !Self.isDemoPage(request.path)) else { return }
        let labelStudio = request.path.hasPrefix(Self.labelStudioPrefix)
        guard keys.accepts(authorization: request.headers["Authorization"], basic: labelStudio) else {
            let how = labelStudio ? "Authorization: Bearer <key>, or HTTP Basic with the key as the password (Label Studio's basic auth)"
                                  : "Authorization: Bearer <key>"
            throw ServiceError(.unauthorized, "unauthorized",
                               request.headers["Authorization"] == nil ? "this endpoint needs an API key: send \(how)" : "the API key is not valid")
        }
    }

    /// The route label (for metrics) and the handler of a request.
    private func route(_ request: HTTPRequest) -> (String, () async throws -> HTTPResponse) {
        let path = request.path
        let method = request.method == "HEAD" ? "GET" : request.method
        func only(_ allowed: String, _ handler: @escaping () async throws -> HTTPResponse) -> () async throws -> HTTPResponse {
            guard method == allowed else {
                return {
                    var response = ServiceError(.methodNotAllowed, "method_not_allowed",
                                                "\(ClientText.quoted(request.method)) is not allowed on \(ClientText.quoted(path)); use \(allowed)").response
                    response.headers["Allow"] = allowed == "GET" ? "GET, HEAD" : allowed
                    return response
                }
            }
            return handler
        }
        if request.method == "OPTIONS" && request.target == "*" {
            return ("OPTIONS *", { self.serverOptions() })
        }
        switch path {
        case "/": return ("/", only("GET") { try self.root(request) })
        case "/healthz": return ("/healthz", only("GET") { .text("ok\n") })
        case "/readyz": return ("/readyz", only("GET") { try self.readiness() })
        case "/metrics": return ("/metrics", only("GET") { self.metricsPage() })
        case "/openapi.yaml": return ("/openapi.yaml", only("GET") { self.page(OpenAPIDocument.yaml, type: "application/yaml; charset=utf-8") })
        case "/models": return ("/models", only("GET") { try self.modelList() })
        case "/gradcam": return ("/gradcam", only("POST") { try await self.explain(request) })
        case "/predict": return ("/predict", only("POST") { try await self.predict(request) })
        case "/sanity": return ("/sanity", only("POST") { try await self.sanity(request) })
        default:
            if path.hasPrefix(Self.demoPageAssetPrefix) {
                return ("/static/{file}", only("GET") { try self.demoPageFile(String(path.dropFirst(Self.demoPageAssetPrefix.count)), request) })
            }
            if let kserve = kserveRoute(request) {
                return kserve
            }
            if path.hasPrefix(Self.labelStudioPrefix) {
                let (label, allowed, handler) = labelStudioRoute(request)
                return (label, allowed.map { only($0, handler) } ?? handler)
            }
            if path.hasPrefix("/models/") {
                let name = String(path.dropFirst("/models/".count))
                return ("/models/{name}", only("GET") { try self.modelDetail(name) })
            }
            return ("other", { throw ServiceError(.notFound, "not_found", "no such path \(ClientText.quoted(path)); see GET /openapi.yaml") })
        }
    }

    private func page(_ text: String, type: String) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: ["Content-Type": type], body: Array(text.utf8))
    }

    /// `OPTIONS *` asks what the server supports as a whole (RFC 9110 §9.3.7): 200,
    /// the methods in `Allow`, no content.
    private func serverOptions() -> HTTPResponse {
        HTTPResponse(status: .ok, headers: ["Allow": "GET, HEAD, POST, OPTIONS"], body: [])
    }

    /// 200 once models are loaded; 503 while they load, when none could be, and from
    /// the start of a drain (see ``beginDrain()``).
    func readiness() throws -> HTTPResponse {
        guard !isDraining else { throw ServiceError.shuttingDown }
        let registry = try models()
        guard !registry.models.isEmpty else {
            throw ServiceError(.serviceUnavailable, "not_ready", "no model could be loaded from '\(configuration.modelsDirectory)'", retryAfter: 10)
        }
        return .text("ready: \(registry.models.map(\.name).joined(separator: ", "))\n")
    }

    private func metricsPage() -> HTTPResponse {
        let (loaded, taskFailures) = lock.withLock { (registry?.models.count ?? 0, labelStudioTaskFailures) }
        let text = metrics.render(counters: [
            ("gradcam_batches_total", "Batched passes run (each explaining two or more requests).", pool.batches),
            ("gradcam_batched_requests_total", "Requests explained in batched passes.", pool.batchedJobs),
            ("gradcam_label_studio_task_failures_total", "Label Studio tasks answered without a prediction (image not fetched or not explained).", taskFailures),
        ], gauges: [
            ("gradcam_queue_depth", "Requests waiting for a worker.", Double(pool.queueDepth)),
            ("gradcam_workers_busy", "Workers computing now.", Double(pool.busyWorkers)),
            ("gradcam_workers", "Compute workers.", Double(pool.workers)),
            ("gradcam_models_loaded", "Models ready to serve.", Double(loaded)),
        ])
        return HTTPResponse(status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"], body: Array(text.utf8))
    }

    private func modelList() throws -> HTTPResponse {
        let registry = try models()
        let unavailable = registry.failures.map { ModelList.Unavailable(name: $0.name, reason: "\($0.error)") }
            + registry.missing().map { ModelList.Unavailable(name: $0.name, reason: "'\($0.file)' is not downloaded; run models/fetch \($0.name)") }
        return try .json(ModelList(models: registry.models.map(ModelList.Summary.init), unavailable: unavailable))
    }

    /// An unknown name in the path is a missing resource (404), not a bad parameter (400).
    private func modelDetail(_ name: String) throws -> HTTPResponse {
        let registry = try models()
        do {
            return try .json(ModelDetail(registry.model(named: name)))
        } catch let error as ModelError {
            guard case .unknownModel = error else { throw error }
            throw ServiceError(.notFound, "unknown_model", "\(error)")
        }
    }

    /// Runs `job` on a worker within the request's deadline, recording stage times; returns
    /// the result and a `Server-Timing` header value naming them.
    func compute<T: Sendable>(_ job: @escaping @Sendable (ExplainSession) throws -> (T, PipelineTimings)) async throws -> (T, String) {
        let (result, timings) = try await pool.run(deadline: clock.now + configuration.timeout, job)
        return (result, serverTiming(timings))
    }

    /// Explains `request` for `model` on a worker (in a batch when batching is on and it can
    /// join one), then runs `finish` on its output there; as `compute` otherwise.
    func computeExplanation<T: Sendable>(
        _ request: ExplainSession.BatchRequest, model: LoadedModel,
        finish: @escaping @Sendable (ExplainSession.Output) throws -> (T, PipelineTimings)
    ) async throws -> (T, String) {
        let (result, timings) = try await pool.explain(deadline: clock.now + configuration.timeout, model: model,
                                                       request: request, finish: finish)
        return (result, serverTiming(timings))
    }

    /// Records `timings` in the metrics and names them in a `Server-Timing` header value.
    private func serverTiming(_ timings: PipelineTimings) -> String {
        for (stage, duration) in timings.stages where duration > .zero {
            metrics.record(stage: stage, seconds: duration.seconds)
        }
        return timings.stages.map { String(format: "%@;dur=%.1f", $0.name, $0.duration.seconds * 1000) }
            .joined(separator: ", ")
    }
}
