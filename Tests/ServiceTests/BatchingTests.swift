import Foundation
import Models
import Pipeline
import TestSupport
import Testing
@testable import Service

/// Dynamic batching seen from clients: explanation requests for the same model, method and
/// layer that arrive within the delay are explained in one pass (counted by the pool and
/// `/metrics`), each keeps its own answer (the same, to 1e-4, as explained alone) and its own
/// error, a deadline that passes while a request waits for its batch is answered 503 at the
/// deadline, and a full queue still answers 503 at once.
@Suite(.timeLimit(.minutes(2))) struct BatchingTests {
    static func batching(size: Int, delay: Duration, timeout: Duration = .seconds(20), queue: Int = 16)
        -> (inout ServiceConfiguration) -> Void {
        { configuration in
            configuration.batching = .init(size: size, maxDelay: delay)
            configuration.timeout = timeout
            configuration.queueCapacity = queue
        }
    }

    /// The document's first explanation: its class and map values.
    static func firstMap(_ body: [UInt8]) throws -> (classIndex: Int, values: [Float]) {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        let first = try #require((object["explanations"] as? [[String: Any]])?.first)
        let data = try #require((first["map"] as? [String: Any])?["data"] as? [Double])
        return (try #require(first["class"] as? Int), data.map(Float.init))
    }

    /// `count` requests sent at once; their replies in order.
    static func concurrently(_ count: Int, _ send: @escaping @Sendable (Int) async throws -> WireResponse) async throws -> [WireResponse] {
        try await withThrowingTaskGroup(of: (Int, WireResponse).self) { group in
            for i in 0..<count { group.addTask { (i, try await send(i)) } }
            var replies = [WireResponse?](repeating: nil, count: count)
            for try await (i, reply) in group { replies[i] = reply }
            return replies.map { $0! }
        }
    }

    /// On a worker of two threads, which decodes the batch's images and makes their documents
    /// on both.
    @Test func requestsWithinTheDelayRunAsOneBatchAndKeepTheirOwnAnswers() async throws {
        let configure = Self.batching(size: 4, delay: .seconds(3))
        try await withService(configure: { configure(&$0); $0.threadsPerWorker = 2 }) { service, port in
            let classes = ["3", "", "7", "1"]
            let images = [Fixture.png, Fixture.jpeg, Fixture.jpeg, Fixture.png]
            let start = ContinuousClock.now
            let replies = try await Self.concurrently(4) { i in
                try await post(port, "/gradcam?model=vgg16_small&format=json" + (classes[i].isEmpty ? "" : "&class=\(classes[i])"),
                               form: Form(image: images[i]))
            }
            #expect(ContinuousClock.now - start < .seconds(3), "a full batch does not wait out the delay")
            #expect(service.pool.batches == 1)
            #expect(service.pool.batchedJobs == 4)
            let model = try service.models().model(named: "vgg16_small")
            for (i, reply) in replies.enumerated() {
                try #require(reply.status == 200, "\(reply)")
                var options = ExplainOptions()
                options.classes = classes[i].isEmpty ? [] : [classes[i]]
                let alone = try ExplainSession(threads: 1).explain(images[i], model: model, options: options, render: false)
                let expected = alone.document.explanations[0]
                let (classIndex, values) = try Self.firstMap(reply.body)
                #expect(classIndex == expected.classIndex)
                #expect(zip(values, expected.map.data).map { abs($0 - $1) }.max()! <= 1e-4)
            }
            let metrics = try await SocketClient(port: port).exchange(request("GET", "/metrics")).text
            #expect(metrics.contains("\n# TYPE gradcam_batches_total counter\ngradcam_batches_total 1\n"))
            #expect(metrics.contains("\ngradcam_batched_requests_total 4\n"))
        }
    }

    @Test func idleWorkersGetTheirShareOfTheQueuedRequests() async throws {
        let configure = Self.batching(size: 8, delay: .milliseconds(600))
        try await withService(configure: { configure(&$0); $0.workers = 2 }) { service, port in
            let replies = try await Self.concurrently(4) { _ in
                try await post(port, "/gradcam?model=vgg16_small&format=json", form: Form(image: Fixture.png))
            }
            #expect(replies.allSatisfy { $0.status == 200 })
            // Not one batch of 4 on one worker while the other idles: two batches of 2.
            #expect(service.pool.batches == 2)
            #expect(service.pool.batchedJobs == 4)
        }
    }

    @Test func aBadRequestInABatchFailsAloneWithItsOwnError() async throws {
        try await withService(configure: Self.batching(size: 3, delay: .seconds(3))) { service, port in
            let targets = ["/gradcam?model=vgg16_small&format=json&class=2", "/gradcam?model=vgg16_small&format=json&class=1000",
                           "/gradcam?model=vgg16_small&class=5"]
            let bodies = [Fixture.png, Fixture.png, Array(Fixture.png.prefix(40))]
            let replies = try await Self.concurrently(3) { i in try await post(port, targets[i], raw: bodies[i], contentType: "image/png") }
            #expect(service.pool.batches == 1)
            #expect(replies[0].status == 200)
            #expect(try Self.firstMap(replies[0].body).classIndex == 2)
            #expect(replies[1].status == 400 && replies[1].errorCode == "unknown_class", "\(replies[1])")
            #expect(replies[2].status == 400 && replies[2].errorCode == "invalid_image", "\(replies[2])")
        }
    }

    @Test func requestsOfAnotherMethodOrLayerAreNotBatchedTogether() async throws {
        try await withService(configure: Self.batching(size: 2, delay: .milliseconds(300))) { service, port in
            let targets = ["/gradcam?model=vgg16_small&format=json", "/gradcam?model=vgg16_small&format=json&method=layercam",
                           "/gradcam?model=vgg16_small&format=json&layer=/features/features.22/Relu_output_0",
                           "/gradcam?model=vgg16_small&format=json&method=scorecam"]
            let replies = try await Self.concurrently(targets.count) { i in try await post(port, targets[i], form: Form(image: Fixture.png)) }
            #expect(replies.allSatisfy { $0.status == 200 })
            #expect(service.pool.batches == 0)
        }
    }

    @Test func requestsAskingForMetricsRunAloneAndGetThem() async throws {
        try await withService(configure: Self.batching(size: 2, delay: .milliseconds(300))) { service, port in
            let replies = try await Self.concurrently(2) { _ in
                try await post(port, "/gradcam?model=vgg16_small&format=json&metrics=deletion", form: Form(image: Fixture.png))
            }
            #expect(service.pool.batches == 0)
            for reply in replies {
                try #require(reply.status == 200, "\(reply)")
                let object = try #require(try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any])
                let first = try #require((object["explanations"] as? [[String: Any]])?.first)
                #expect((first["metrics"] as? [String: Any])?["deletion"] != nil, "\(first.keys)")
            }
        }
    }

    @Test func aDeadlinePassingWhileTheBatchFillsIsAnsweredAtTheDeadline() async throws {
        try await withService(configure: Self.batching(size: 4, delay: .seconds(2), timeout: .milliseconds(400))) { service, port in
            let start = ContinuousClock.now
            let reply = try await post(port, "/gradcam?model=vgg16_small&format=json", form: Form(image: Fixture.png))
            let waited = ContinuousClock.now - start
            #expect(reply.status == 503 && reply.errorCode == "timeout", "\(reply)")
            #expect(waited >= .milliseconds(350) && waited < .milliseconds(1800), "answered at its deadline, not after the delay")
            #expect(try await eventually(within: .seconds(5)) { service.pool.busyWorkers == 0 })
        }
    }

    @Test func aDeadlinePassingInTheQueueIsAnsweredAsWithoutBatching() async throws {
        try await withService(configure: Self.batching(size: 4, delay: .milliseconds(50), timeout: .milliseconds(300))) { service, port in
            let blocker = Blocker()
            try await blocker.occupy(service)
            let replies = try await Self.concurrently(2) { _ in
                try await post(port, "/gradcam?model=vgg16_small&format=json", form: Form(image: Fixture.png))
            }
            blocker.free()
            #expect(replies.allSatisfy { $0.status == 503 && $0.errorCode == "timeout" })
            #expect(try await eventually { service.pool.queueDepth == 0 && service.pool.busyWorkers == 0 })
            #expect(service.pool.batches == 0, "the expired requests were never computed")
        }
    }

    @Test func aFullQueueStillAnswers503AtOnce() async throws {
        // The batch waits 3 s for more requests, so that a loaded machine's slow polling
        // below cannot outlast it; a refusal that waited for the batch would take seconds.
        try await withService(configure: Self.batching(size: 4, delay: .seconds(3), queue: 1)) { service, port in
            let first = Task { try await post(port, "/gradcam?model=vgg16_small&format=json", form: Form(image: Fixture.png)) }
            #expect(try await eventually { service.pool.busyWorkers == 1 }, "the worker collects a batch")
            let second = Task { try await post(port, "/gradcam?model=vgg16_small&format=json&class=4", form: Form(image: Fixture.png)) }
            #expect(try await eventually { service.pool.queueDepth == 1 })
            let start = ContinuousClock.now
            let refused = try await post(port, "/gradcam?model=vgg16_small&format=json", form: Form(image: Fixture.png))
            #expect(refused.status == 503 && refused.errorCode == "overloaded", "\(refused)")
            #expect(ContinuousClock.now - start < .milliseconds(1500), "refused at once, not queued")
            #expect(try await first.value.status == 200)
            let kept = try await second.value
            #expect(kept.status == 200)
            #expect(try Self.firstMap(kept.body).classIndex == 4)
            #expect(service.pool.batches == 1 && service.pool.batchedJobs == 2)
        }
    }
}
