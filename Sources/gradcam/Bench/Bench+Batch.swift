import Foundation
import Models
import Pipeline
import Tensor

extension Bench {
    /// Times `ExplainSession.explain(batch:model:)` on `size` copies of `bytes`, as the worker
    /// pool runs a batch of that many requests: `warmup` untimed passes, then `runs` timed ones
    /// (with `--profile`, every node of the timed ones, per image).
    func timeBatch(
        of size: Int, bytes: [UInt8], model: LoadedModel, options: ExplainOptions, session: ExplainSession
    ) throws -> BatchBenchResult {
        let requests = Array(repeating: ExplainSession.BatchRequest(bytes: bytes, options: options, render: false), count: size)
        var passes: [BatchBenchResult.Pass] = []
        let operators = profile ? OperatorProfile() : nil
        defer { session.profile = nil }
        for index in 0..<(warmup + runs) {
            session.profile = index >= warmup ? operators : nil
            let start = ContinuousClock.now, cpuStart = processorTime()
            let outputs = try session.explain(batch: requests, model: model).map { try $0.get() }
            let pass = BatchBenchResult.Pass(wall: ContinuousClock.now - start, cpu: processorTime() - cpuStart,
                                             timings: outputs[0].timings)
            if index >= warmup { passes.append(pass) }
        }
        return BatchBenchResult(model: model.name, method: options.method.name, size: size, passes: passes,
                                profile: operators.map { ProfileSummary($0, runs: runs * size) })
    }

    /// The CPU time this process has used so far, all threads: unlike the wall clock, it
    /// does not count the time other processes on a shared machine hold the cores.
    private func processorTime() -> Duration {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }
}

/// One model, method and batch size's timings: the whole call (wall clock and CPU time)
/// and, of the first image's timings, the passes the batch shares (forward, backward), each
/// divided by the batch size.
struct BatchBenchResult {
    struct Pass {
        let wall: Duration
        let cpu: Duration
        let timings: PipelineTimings
    }

    let model: String
    let method: String
    let size: Int
    let passes: [Pass]
    /// Per image.
    let profile: ProfileSummary?

    struct Summary: Encodable {
        let model: String
        let method: String
        let batch: Int
        /// Medians per image: `wall` (the whole call: decode, preprocess, passes, maps,
        /// documents), `cpu` (its CPU time, all threads), `forward` and `backward` (the batch's passes).
        let medianMillisecondsPerImage: [String: Double]
        /// `--profile`: every node's time, per image.
        let profile: ProfileSummary?

        enum CodingKeys: String, CodingKey {
            case model, method, batch, profile
            case medianMillisecondsPerImage = "median_ms_per_image"
        }
    }

    var summary: Summary {
        func perImage(_ values: [Duration]) -> Double { median(values).milliseconds / Double(size) }
        return Summary(model: model, method: method, batch: size, medianMillisecondsPerImage: [
            "wall": perImage(passes.map(\.wall)),
            "cpu": perImage(passes.map(\.cpu)),
            "forward": perImage(passes.map(\.timings.forward)),
            "backward": perImage(passes.map(\.timings.backward)),
        ], profile: profile)
    }

    func print() {
        let s = summary.medianMillisecondsPerImage
        Swift.print(String(format: "%@ %@ batch %d: %.1f ms per image, CPU %.1f ms (forward %.1f, backward %.1f; median of %d)",
                           model, method, size, s["wall"]!, s["cpu"]!, s["forward"]!, s["backward"]!, passes.count))
        profile?.print()
    }
}
