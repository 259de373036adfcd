import Foundation
import HTTP
import Imaging
import Models
import Pipeline
import Tensor

/// Compute workers: threads that each own an `ExplainSession` (its buffers) and share the
/// read-only models, fed by a bounded queue.
///
/// A full queue refuses work at once (`overloaded`): back-pressure instead of collapse.
/// Every job has a deadline and a `Cancellation` that the session's engine checks before
/// every node: a caller whose job runs past its deadline is answered `timedOut` at the
/// deadline, and the job stops within one node's time, freeing its worker. A caller that
/// stops waiting (its `Task` is cancelled: the client went away) is answered
/// `CancellationError` at once; its job is dropped if still queued, stopped if running.
///
/// Dynamic batching (`Batching`, as TorchServe's `batch_size` and `max_batch_delay`): a
/// worker that takes an explanation job which can join a batch (`ExplainSession.batchKey`)
/// waits until `size - 1` more jobs with the same key are queued, or until `maxDelay` after
/// the first job was queued, and runs them in one batched forward and backward pass
/// (`ExplainSession.explain(batch:model:)`). Meanwhile no other worker takes jobs of that
/// key; then idle workers are left their share (of 4 queued jobs and 2 workers, each takes 2),
/// so that batching never leaves a core idle that would have computed alone. Each job keeps its own result, error, deadline and cancellation: a job whose
/// deadline passes in the queue is answered `timedOut` as any other; a batch stops only
/// when none of its jobs is waited for any more.
public final class WorkerPool: @unchecked Sendable {
    public enum Failure: Error, Equatable {
        case overloaded(queueCapacity: Int)
        case timedOut(after: Duration)
        case stopped
    }

    public let workers: Int
    public let threadsPerWorker: Int
    public let queueCapacity: Int
    public let batching: Batching
    /// Largest decoded image, in pixels, for every worker's session.
    public let pixelLimit: Int

    /// How many explanation jobs may share one pass, and how long the first may wait for the others.
    public struct Batching: Sendable, Equatable {
        /// Most jobs in one batch; 1 turns batching off.
        public var size: Int
        /// Longest wait, from the first job's arrival in the queue, for the batch to fill;
        /// zero takes only the jobs already queued.
        public var maxDelay: Duration

        public init(size: Int, maxDelay: Duration) {
            self.size = max(1, size)
            self.maxDelay = max(.zero, maxDelay)
        }

        public static let off = Batching(size: 1, maxDelay: .zero)
    }

    private struct Job {
        let cancellation: Cancellation
        let queued: ContinuousClock.Instant
        /// Set when the job can join a batch.
        let member: BatchMember?
        /// Runs the job alone.
        let run: (ExplainSession) -> Void
        let drop: (Cancellation.Reason) -> Void
    }

    /// An explanation job's part in a batch: its request, and what to do with its output.
    private struct BatchMember {
        let key: ExplainSession.BatchKey
        let model: LoadedModel
        let request: ExplainSession.BatchRequest
        let complete: (Result<ExplainSession.Output, any Error>) -> Void
    }

    /// A batch being computed: its jobs' cancellations, and the batch's own, cancelled once
    /// none of its jobs is waited for.
    private struct RunningBatch {
        let members: [Cancellation]
        let cancellation: Cancellation
    }

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var busy = 0
    private var stopping = false
    private var threads: [Thread] = []
    private var running = 0
    /// Keys a worker is collecting a batch for: other workers leave their jobs queued.
    private var collecting: Set<ExplainSession.BatchKey> = []
    private var runningBatches: [RunningBatch] = []
    private var batchCount = 0
    private var batchedJobCount = 0

    /// Starts `workers` threads, each computing with `threadsPerWorker` threads.
    public init(workers: Int, threadsPerWorker: Int, queueCapacity: Int, batching: Batching = .off,
                pixelLimit: Int = Image.defaultPixelLimit) {
        self.workers = max(1, workers)
        self.threadsPerWorker = max(1, threadsPerWorker)
        self.queueCapacity = max(0, queueCapacity)
        self.batching = batching
        self.pixelLimit = pixelLimit
        for index in 0..<self.workers {
            let thread = Thread { [self] in self.work() }
            thread.name = "gradcam-worker-\(index)"
            thread.stackSize = 8 << 20
            threads.append(thread)
            running += 1
            thread.start()
        }
    }

    /// Jobs waiting for a worker.
    public var queueDepth: Int { condition.withLock { queue.count } }
    /// Workers computing now.
    public var busyWorkers: Int { condition.withLock { busy } }
    /// Batched passes run so far (each for two or more jobs).
    public var batches: Int { condition.withLock { batchCount } }
    /// Jobs answered by batched passes so far.
    public var batchedJobs: Int { condition.withLock { batchedJobCount } }

    /// Runs `job` on a worker and returns its result, or fails with `overloaded` when
    /// `queueCapacity` jobs already wait, `timedOut` at `deadline`, or `CancellationError`
    /// when the calling task is cancelled. While `job` runs, `session.cancellation` says
    /// when it must stop (the session's engine checks it; a long job of another kind should too).
    public func run<T: Sendable>(
        deadline: ContinuousClock.Instant, _ job: @escaping @Sendable (ExplainSession) throws -> T
    ) async throws -> T {
        try await submit(deadline: deadline) { once, limit in
            (nil, { session in once.resume(Result { try job(session) }.mapError { Self.stopped($0, limit: limit) }) })
        }
    }

    /// Explains `request` for `model` on a worker, in a batch with others when batching is on
    /// and the request can join one, then runs `finish` on its output (on the worker); fails
    /// as `run` does.
    public func explain<T: Sendable>(
        deadline: ContinuousClock.Instant, model: LoadedModel, request: ExplainSession.BatchRequest,
        finish: @escaping @Sendable (ExplainSession.Output) throws -> T
    ) async throws -> T {
        let alone = { @Sendable (session: ExplainSession) in
            Result { try session.explain(request.bytes, model: model, options: request.options, render: request.render) }
        }
        guard batching.size > 1, let key = ExplainSession.batchKey(model: model, options: request.options) else {
            return try await run(deadline: deadline) { session in try finish(alone(session).get()) }
        }
        return try await submit(deadline: deadline) { once, limit in
            let member = BatchMember(key: key, model: model, request: request) { output in
                once.resume(Result { try finish(output.get()) }.mapError { Self.stopped($0, limit: limit) })
            }
            return (member, { session in member.complete(alone(session)) })
        }
    }

    /// Queues the job `make` builds (from the caller's `Once` and its time limit) and waits for
    /// its answer: the job's, or `overloaded`, `stopped`, `timedOut` or `CancellationError`.
    private func submit<T: Sendable>(
        deadline: ContinuousClock.Instant,
        _ make: (Once<T>, Duration) -> (BatchMember?, (ExplainSession) -> Void)
    ) async throws -> T {
        let cancellation = Cancellation(deadline: deadline)
        let limit = max(.zero, deadline - .now)
        let once = Once<T>()
        let (member, run) = make(once, limit)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                once.set(continuation)
                let accepted: Bool = condition.withLock {
                    guard !stopping else { return false }
                    // Idle workers take the job at once; otherwise it must fit in the queue.
                    guard queue.count < queueCapacity + (workers - busy) else { return false }
                    queue.append(Job(
                        cancellation: cancellation, queued: .now, member: member, run: run,
                        drop: { reason in once.resume(.failure(Self.failure(reason, limit: limit))) }))
                    // A worker collecting a batch may be waiting for this job, besides idle ones.
                    condition.broadcast()
                    return true
                }
                guard accepted else {
                    once.resume(.failure(stopping ? Failure.stopped : Failure.overloaded(queueCapacity: queueCapacity)))
                    return
                }
                // Answer at the deadline even if the job is still running, and stop it.
                DispatchQueue.global().asyncAfter(deadline: .now() + limit.dispatchInterval) { [self] in
                    cancellation.cancel(.deadline)
                    withdraw(cancellation)
                    once.resume(.failure(Failure.timedOut(after: limit)))
                }
            }
        } onCancel: {
            cancellation.cancel(.abandoned)
            withdraw(cancellation)
            once.resume(.failure(CancellationError()))
        }
    }

    /// Removes a stopped job from the queue (if no worker took it yet), so that it no longer
    /// counts against the queue's capacity; stops a running batch none of whose jobs is
    /// waited for any more.
    private func withdraw(_ cancellation: Cancellation) {
        condition.withLock {
            queue.removeAll { $0.cancellation === cancellation }
            for batch in runningBatches where batch.members.contains(where: { $0 === cancellation }) {
                if batch.members.allSatisfy({ $0.reason != nil }) { batch.cancellation.cancel(.abandoned) }
            }
        }
    }

    /// A job's error as its caller is told it: a stop becomes `timedOut` or `CancellationError`.
    private static func stopped(_ error: any Error, limit: Duration) -> any Error {
        (error as? Cancellation.Stopped).map { failure($0.reason, limit: limit) } ?? error
    }

    /// What a caller is told when its job stops, or is dropped, for `reason`.
    private static func failure(_ reason: Cancellation.Reason, limit: Duration) -> any Error {
        switch reason {
        case .deadline: Failure.timedOut(after: limit)
        case .abandoned: CancellationError()
        }
    }

    /// Stops taking jobs, lets queued and running jobs finish, and waits for the workers to exit.
    public func shutdown() {
        condition.withLock {
            stopping = true
            condition.broadcast()
            while running > 0 { condition.wait() }
        }
    }

    private func work() {
        let session = ExplainSession(threads: threadsPerWorker)
        session.pixelLimit = pixelLimit
        while let jobs = next() {
            // Past its deadline, or its caller is gone: nobody waits for it.
            let live = jobs.filter { job in
                guard let reason = job.cancellation.reason else { return true }
                job.drop(reason)
                return false
            }
            if live.count == 1 {
                session.cancellation = live[0].cancellation
                live[0].run(session)
            } else if live.count > 1 {
                runBatch(live, on: session)
            }
            session.cancellation = nil
            condition.withLock { busy -= 1 }
        }
        condition.withLock {
            running -= 1
            condition.broadcast()
        }
    }

    /// The next jobs for a worker (marked busy): the first queued job whose key no other worker
    /// is collecting for, with the jobs of its batch; nil once stopping with nothing queued.
    private func next() -> [Job]? {
        condition.withLock {
            var index: Int?
            while true {
                index = queue.firstIndex { job in job.member.map { !collecting.contains($0.key) } ?? true }
                if index != nil || (stopping && queue.isEmpty) { break }
                condition.wait()
            }
            guard let index else { return nil }
            busy += 1
            let first = queue.remove(at: index)
            guard batching.size > 1, let key = first.member?.key else { return [first] }
            collecting.insert(key)
            let until = first.queued + batching.maxDelay
            while !stopping && queue.count(where: { $0.member?.key == key }) < batching.size - 1 {
                let left = until - .now
                guard left > .zero else { break }
                _ = condition.wait(until: Date(timeIntervalSinceNow: left.seconds))
            }
            // Idle workers get their share: the jobs of this key are split over them and this one.
            let idle = workers - busy
            let available = 1 + queue.count(where: { $0.member?.key == key })
            let limit = min(batching.size, (available + idle) / (idle + 1))
            var batch = [first]
            var kept: [Job] = []
            for job in queue {
                if batch.count < limit && job.member?.key == key { batch.append(job) } else { kept.append(job) }
            }
            queue = kept
            collecting.remove(key)
            condition.broadcast()  // Jobs of this key beyond the batch are free for any worker again.
            return batch
        }
    }

    /// Runs two or more batchable jobs in one pass, then completes each that is still waited for.
    private func runBatch(_ jobs: [Job], on session: ExplainSession) {
        let members = jobs.map { $0.member! }
        let batch = RunningBatch(members: jobs.map(\.cancellation),
                                 cancellation: Cancellation(deadline: jobs.compactMap(\.cancellation.deadline).max()))
        condition.withLock {
            runningBatches.append(batch)
            batchCount += 1
            batchedJobCount += jobs.count
        }
        session.cancellation = batch.cancellation
        let results = session.explain(batch: members.map(\.request), model: members[0].model)
        condition.withLock { runningBatches.removeAll { $0.cancellation === batch.cancellation } }
        for (job, result) in zip(jobs, results) {
            if let reason = job.cancellation.reason {
                job.drop(reason)
            } else {
                session.cancellation = job.cancellation
                job.member!.complete(result)
            }
        }
    }
}

/// Resumes a continuation exactly once, whichever of the job, the deadline or the caller's
/// cancellation comes first. A result that arrives before the continuation is set (a task
/// cancelled before it suspended) is kept and delivered when it is.
private final class Once<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?
    private var early: Result<T, any Error>?
    private var done = false

    func set(_ continuation: CheckedContinuation<T, any Error>) {
        let result: Result<T, any Error>? = lock.withLock {
            guard let early else {
                self.continuation = continuation
                return nil
            }
            return early
        }
        if let result { continuation.resume(with: result) }
    }

    func resume(_ result: Result<T, any Error>) {
        let pending: CheckedContinuation<T, any Error>? = lock.withLock {
            guard !done else { return nil }
            done = true
            guard let continuation else {
                early = result
                return nil
            }
            self.continuation = nil
            return continuation
        }
        pending?.resume(with: result)
    }
}
