import Foundation
import Models
import Tensor

/// Compute workers: threads that each own an `ExplainSession` (its buffers) and share the
/// read-only models, fed by a bounded queue.
///
/// A full queue refuses work at once (`overloaded`): back-pressure instead of collapse.
/// Every job has a deadline: a job still queued at its deadline is dropped, and a caller
/// whose job runs past it is answered `timedOut` at the deadline (the worker finishes the
/// job and discards it).
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
        let deadline: ContinuousClock.Instant
        let run: (ExplainSession) -> Void
        let expire: () -> Void
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
        BLAS.setLibraryThreads(1)
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
    /// `queueCapacity` jobs already wait, or `timedOut` at `deadline`.
    public func run<T: Sendable>(
        deadline: ContinuousClock.Instant, _ job: @escaping @Sendable (ExplainSession) throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let once = Once(continuation)
            let accepted: Bool = condition.withLock {
                guard !stopping else { return false }
                // Idle workers take the job at once; otherwise it must fit in the queue.
                guard queue.count < queueCapacity + (workers - busy) else { return false }
                queue.append(Job(
                    deadline: deadline,
                    run: { session in once.resume(Result { try job(session) }) },
                    expire: { once.resume(.failure(Failure.timedOut(after: .zero))) }))
                condition.signal()
                return true
            }
            guard accepted else {
                once.resume(.failure(stopping ? Failure.stopped : Failure.overloaded(queueCapacity: queueCapacity)))
                return
            }
            // Answer at the deadline even if the job is still running.
            let delay = max(.zero, deadline - .now)
            DispatchQueue.global().asyncAfter(deadline: .now() + delay.timeInterval) {
                once.resume(.failure(Failure.timedOut(after: delay)))
            }
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
            if ContinuousClock.now >= job.deadline {
                job.expire()
            } else {
                job.run(session)
            }
            condition.withLock { busy -= 1 }
        }
        condition.withLock {
            running -= 1
            condition.broadcast()
        }
    }
}

/// Resumes a continuation exactly once, whichever of the job or the deadline comes first.
private final class Once<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<T, any Error>?

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = continuation
    }

    func resume(_ result: Result<T, any Error>) {
        let pending: CheckedContinuation<T, any Error>? = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        pending?.resume(with: result)
    }
}

extension Duration {
    var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
