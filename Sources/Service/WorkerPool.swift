import Foundation
import HTTP
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
public final class WorkerPool: @unchecked Sendable {
    public enum Failure: Error, Equatable {
        case overloaded(queueCapacity: Int)
        case timedOut(after: Duration)
        case stopped
    }

    public let workers: Int
    public let threadsPerWorker: Int
    public let queueCapacity: Int

    private struct Job {
        let cancellation: Cancellation
        let run: (ExplainSession) -> Void
        let drop: (Cancellation.Reason) -> Void
    }

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var busy = 0
    private var stopping = false
    private var threads: [Thread] = []
    private var running = 0

    /// Starts `workers` threads, each computing with `threadsPerWorker` threads.
    public init(workers: Int, threadsPerWorker: Int, queueCapacity: Int) {
        self.workers = max(1, workers)
        self.threadsPerWorker = max(1, threadsPerWorker)
        self.queueCapacity = max(0, queueCapacity)
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

    /// Runs `job` on a worker and returns its result, or fails with `overloaded` when
    /// `queueCapacity` jobs already wait, `timedOut` at `deadline`, or `CancellationError`
    /// when the calling task is cancelled. While `job` runs, `session.cancellation` says
    /// when it must stop (the session's engine checks it; a long job of another kind should too).
    public func run<T: Sendable>(
        deadline: ContinuousClock.Instant, _ job: @escaping @Sendable (ExplainSession) throws -> T
    ) async throws -> T {
        let cancellation = Cancellation(deadline: deadline)
        let limit = max(.zero, deadline - .now)
        let once = Once<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                once.set(continuation)
                let accepted: Bool = condition.withLock {
                    guard !stopping else { return false }
                    // Idle workers take the job at once; otherwise it must fit in the queue.
                    guard queue.count < queueCapacity + (workers - busy) else { return false }
                    queue.append(Job(
                        cancellation: cancellation,
                        run: { session in
                            once.resume(Result { try job(session) }.mapError { error in
                                (error as? Cancellation.Stopped).map { Self.failure($0.reason, limit: limit) } ?? error
                            })
                        },
                        drop: { reason in once.resume(.failure(Self.failure(reason, limit: limit))) }))
                    condition.signal()
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
    /// counts against the queue's capacity.
    private func withdraw(_ cancellation: Cancellation) {
        condition.withLock { queue.removeAll { $0.cancellation === cancellation } }
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
        while true {
            let job: Job? = condition.withLock {
                while queue.isEmpty && !stopping { condition.wait() }
                guard !queue.isEmpty else { return nil }
                busy += 1
                return queue.removeFirst()
            }
            guard let job else { break }
            if let reason = job.cancellation.reason {
                job.drop(reason)  // Past its deadline, or its caller is gone: nobody waits for it.
            } else {
                session.cancellation = job.cancellation
                job.run(session)
                session.cancellation = nil
            }
            condition.withLock { busy -= 1 }
        }
        condition.withLock {
            running -= 1
            condition.broadcast()
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
