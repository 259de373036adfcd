import Foundation
import TestSupport
import Testing
@testable import Service

/// Holds the only worker of a service until released, so tests can fill the pool
/// deterministically.
final class Blocker: Sendable {
    private let release = DispatchSemaphore(value: 0)

    /// Submits a job that holds a worker; returns once a worker has taken it.
    func occupy(_ service: GradCAMService) async throws {
        let pool = service.pool
        let release = self.release
        Task.detached { _ = try? await pool.run(deadline: .now + .seconds(30)) { _ in release.wait() } }
        try #require(try await eventually { service.pool.busyWorkers == 1 }, "no worker took the blocking job")
    }

    func free() { release.signal() }
}

/// The worker pool as a client sees it: 503 with Retry-After when the queue is full, a
/// 503 at the deadline rather than a hanging request, and metrics that count them.
@Suite(.timeLimit(.minutes(2))) struct BackPressureTests {
    @Test func aFullQueueAnswers503WithRetryAfter() async throws {
        try await withService(configure: { $0.queueCapacity = 0 }) { service, port in
            let blocker = Blocker()
            try await blocker.occupy(service)
            let start = ContinuousClock.now
            let reply = try await post(port, "/predict?model=vgg16_small", raw: Fixture.png, contentType: "image/png")
            #expect(reply.status == 503)
            #expect(reply.errorCode == "overloaded")
            #expect(reply.header("Retry-After") == "1")
            #expect(ContinuousClock.now - start < .seconds(2), "refused at once, not queued")
            blocker.free()
            try #require(try await eventually { service.pool.busyWorkers == 0 })
            let after = try await post(port, "/predict?model=vgg16_small", raw: Fixture.png, contentType: "image/png")
            #expect(after.status == 200)
        }
    }

    @Test func aRequestPastItsDeadlineIsAnswered() async throws {
        try await withService(configure: { $0.timeout = .milliseconds(300) }) { service, port in
            let blocker = Blocker()
            try await blocker.occupy(service)
            let start = ContinuousClock.now
            let reply = try await post(port, "/gradcam?model=vgg16_small", raw: Fixture.png, contentType: "image/png")
            let waited = ContinuousClock.now - start
            blocker.free()
            #expect(reply.status == 503)
            #expect(reply.errorCode == "timeout")
            #expect(reply.header("Retry-After") == "2")
            #expect(waited >= .milliseconds(250) && waited < .seconds(3))
        }
    }

    /// Finding: with `--timeout 3`, two slow jobs were answered 503 at 3 s but kept both
    /// workers busy until about 14 s. Now the engine stops at the deadline, between nodes.
    @Test func aTimedOutExplanationStopsAndFreesItsWorker() async throws {
        try await withService(configure: { $0.timeout = .milliseconds(500) }) { service, port in
            // Score-CAM over the dilated network: about 10 s of work on this fixture.
            let slow = "/gradcam?model=vgg16_small&method=scorecam&dilate=true&format=json"
            let reply = try await post(port, slow, raw: Fixture.png, contentType: "image/png")
            #expect(reply.status == 503)
            #expect(reply.errorCode == "timeout")
            #expect(try await eventually(within: .seconds(3)) { service.pool.busyWorkers == 0 },
                    "the worker is still computing an answer nobody waits for")
            let next = try await post(port, "/predict?model=vgg16_small", raw: Fixture.png, contentType: "image/png")
            #expect(next.status == 200)
        }
    }

    @Test func aStoppedPoolAnswersShuttingDown() async throws {
        try await withService { service, port in
            await onThread { service.shutdown() }
            let reply = try await post(port, "/predict?model=vgg16_small", raw: Fixture.png, contentType: "image/png")
            #expect(reply.status == 503)
            #expect(reply.errorCode == "shutting_down")
            #expect(reply.header("Retry-After") == "1")
        }
    }

    @Test func metricsCountRequestsStagesAndGauges() async throws {
        try await withService { _, port in
            #expect(try await post(port, "/predict?model=vgg16_small", raw: Fixture.png, contentType: "image/png").status == 200)
            #expect(try await post(port, "/predict?model=nope", raw: Fixture.png, contentType: "image/png").status == 400)
            #expect(try await get(port, "/nope").status == 404)
            let reply = try await get(port, "/metrics")
            #expect(reply.status == 200)
            #expect(reply.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
            let text = reply.text
            for line in [
                #"gradcam_http_requests_total{route="/predict",status="200"} 1"#,
                #"gradcam_http_requests_total{route="/predict",status="400"} 1"#,
                #"gradcam_http_requests_total{route="other",status="404"} 1"#,
                #"gradcam_http_request_duration_seconds_count{route="/predict"} 2"#,
                #"gradcam_http_request_duration_seconds_bucket{route="/predict",le="+Inf"} 2"#,
                #"gradcam_stage_seconds_count{stage="decode"} 1"#,
                #"gradcam_stage_seconds_count{stage="forward"} 1"#,
                "# TYPE gradcam_http_requests_total counter",
                "# TYPE gradcam_http_request_duration_seconds histogram",
                // Not the busy workers' value: a worker counts itself idle just after answering.
                "gradcam_workers 1.0", "gradcam_models_loaded 1.0", "gradcam_queue_depth 0.0", "# TYPE gradcam_workers_busy gauge",
            ] {
                #expect(text.contains(line + "\n"), "missing: \(line)")
            }
        }
    }
}
