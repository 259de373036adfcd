import Foundation
import Pipeline
import TestSupport
import Synchronization
import Testing
@testable import Service

/// A request that times out or whose client leaves stops using its worker: the job stops at
/// its next check of `session.cancellation` (the engine checks before every node), and a job
/// still queued is dropped without running. Before this, a timed-out job held its worker to
/// the end and starved the requests behind it.
@Suite(.timeLimit(.minutes(1))) struct WorkerPoolTests {
    /// A job like an explanation: works in steps, checking the session's cancellation between
    /// them, for at most `limit` (so a broken pool fails the test instead of hanging it).
    static func steps(limit: Duration = .seconds(20), ran: Counter? = nil) -> @Sendable (ExplainSession) throws -> Int {
        { session in
            ran?.value.add(1, ordering: .relaxed)
            let start = ContinuousClock.now
            var steps = 0
            while ContinuousClock.now - start < limit {
                try session.cancellation?.check()
                Thread.sleep(forTimeInterval: 0.002)
                steps += 1
            }
            return steps
        }
    }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    static func isTimeout(_ failure: WorkerPool.Failure) -> Bool {
        if case .timedOut = failure { return true }
        return false
    }

    @Test func aTimedOutJobFreesItsWorkerAtTheDeadline() async throws {
        let pool = WorkerPool(workers: 1, threadsPerWorker: 1, queueCapacity: 4)
        defer { pool.shutdown() }
        let failure = await #expect(throws: WorkerPool.Failure.self) {
            try await pool.run(deadline: .now + .milliseconds(200), Self.steps())
        }
        #expect(failure.map(Self.isTimeout) == true)
        // The worker is free again within a step, not after the job's 20 s.
        #expect(try await eventually(within: .seconds(5)) { pool.busyWorkers == 0 })
        let next = try await pool.run(deadline: .now + .seconds(10)) { _ in 42 }
        #expect(next == 42)
    }

    @Test func aCancelledCallerStopsItsRunningJob() async throws {
        let pool = WorkerPool(workers: 1, threadsPerWorker: 1, queueCapacity: 4)
        defer { pool.shutdown() }
        let caller = Task { try await pool.run(deadline: .now + .seconds(30), Self.steps()) }
        #expect(try await eventually { pool.busyWorkers == 1 })
        caller.cancel()
        await #expect(throws: CancellationError.self) { try await caller.value }
        #expect(try await eventually(within: .seconds(5)) { pool.busyWorkers == 0 })
    }

    @Test func aCancelledCallersQueuedJobNeverRuns() async throws {
        let pool = WorkerPool(workers: 1, threadsPerWorker: 1, queueCapacity: 4)
        defer { pool.shutdown() }
        let release = DispatchSemaphore(value: 0)
        let holder = Task { try await pool.run(deadline: .now + .seconds(30)) { _ in release.wait() } }
        #expect(try await eventually { pool.busyWorkers == 1 })

        let ran = Counter()
        let queued = Task { try await pool.run(deadline: .now + .seconds(30), Self.steps(limit: .zero, ran: ran)) }
        #expect(try await eventually { pool.queueDepth == 1 })
        queued.cancel()
        await #expect(throws: CancellationError.self) { try await queued.value }
        #expect(pool.queueDepth == 0, "the abandoned job no longer takes a place in the queue")

        release.signal()
        try await holder.value
        #expect(try await pool.run(deadline: .now + .seconds(10)) { _ in 7 } == 7)
        #expect(ran.value.load(ordering: .relaxed) == 0)
    }

    @Test func aJobStoppedByTheEngineAnswersTimedOutNotAnError() async throws {
        // The engine may see the deadline a moment before the pool's timer does: the caller is
        // still told `timedOut`, never an internal error.
        let pool = WorkerPool(workers: 1, threadsPerWorker: 1, queueCapacity: 4)
        defer { pool.shutdown() }
        let failure = await #expect(throws: WorkerPool.Failure.self) {
            try await pool.run(deadline: .now + .milliseconds(100)) { session in
                let start = ContinuousClock.now
                while ContinuousClock.now - start < .seconds(20) { try session.cancellation?.check() }
            }
        }
        #expect(failure.map(Self.isTimeout) == true)
        #expect(try await eventually(within: .seconds(5)) { pool.busyWorkers == 0 })
    }
}
