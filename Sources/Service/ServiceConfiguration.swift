import Foundation
import Imaging

/// How the service runs: models, workers and limits.
public struct ServiceConfiguration: Sendable {
    public var modelsDirectory = "models"
    /// Compute workers, each with its own buffers.
    public var workers: Int
    /// Compute threads per worker; workers x threads should not exceed the cores.
    public var threadsPerWorker: Int
    /// Requests that may wait for a worker before the service answers 503.
    public var queueCapacity = 16
    /// Dynamic batching of explanation requests (`WorkerPool.Batching`). Off by default: a
    /// batched request's numbers depend on its batch-mates at float-rounding level (batched
    /// matrix products sum in another order), so an operator who wants the throughput opts in.
    public var batching = WorkerPool.Batching.off
    /// Longest time from a request's arrival to its answer.
    public var timeout: Duration = .seconds(60)
    /// Largest decoded image, in pixels (413 beyond).
    public var maxImagePixels = Image.defaultPixelLimit
    /// When set, POST endpoints (every endpoint with `protectAll`) need `Authorization: Bearer <key>`.
    public var apiKeys: APIKeys?
    public var protectAll = false
    /// Where the Label Studio ML backend routes fetch task images from.
    public var labelStudio = LabelStudioBackendSettings()
    /// Where the service reports what no answer shows in full (a Label Studio task left without
    /// a prediction); `gradcam serve` writes it to standard error.
    public var log: @Sendable (String) -> Void = { _ in }

    /// One worker per core, one thread each: best throughput under load.
    public init(workers: Int? = nil, threadsPerWorker: Int? = nil) {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        self.workers = max(1, workers ?? cores)
        self.threadsPerWorker = max(1, threadsPerWorker ?? max(1, cores / self.workers))
    }
}
