import Foundation
import Models
import Pipeline
@testable import Service
import TestSupport
import Testing

/// `POST /sanity`: the document of `gradcam sanity`, and its bad parameters refused with a
/// 400 that names what is accepted.
@Suite(.timeLimit(.minutes(3))) struct SanityEndpointTests {
    @Test func answersTheCurvesOfEveryMethodForOneClass() async throws {
        try await withSharedService { port in
            let reply = try await post(port, "/sanity?model=alexnet_small&class=7&seed=11&method=gradcam,guided-backprop",
                                       raw: Fixture.png, contentType: "image/png")
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.header("Content-Type") == "application/json")
            let document = try JSONDecoder().decode(SanityDocument.self, from: Data(reply.body))
            #expect(document.seed == 11)
            #expect(document.class.classIndex == 7)
            #expect(document.methods.map(\.method) == ["gradcam", "guided-backprop"])
            #expect(document.steps.first?.layer == nil && document.steps.count > 1)
            #expect(document.steps.dropFirst().allSatisfy { ["Conv", "Gemm", "MatMul", "BatchNormalization"].contains($0.op ?? "") })
            #expect(document.methods.allSatisfy { $0.curve.count == document.steps.count })
        }
    }

    /// The cascade rebuilds and explains one network per layer: past the deadline it is answered
    /// 503 and stops (between nodes, and between steps), freeing its worker.
    @Test func aCheckPastTheDeadlineStopsAndFreesItsWorker() async throws {
        try await withService(configure: { $0.timeout = .milliseconds(50) }) { service, port in
            let reply = try await post(port, "/sanity?model=vgg16_small", raw: Fixture.png, contentType: "image/png")
            #expect(reply.status == 503)
            #expect(reply.errorCode == "timeout")
            #expect(try await eventually(within: .seconds(3)) { service.pool.busyWorkers == 0 },
                    "the worker is still computing an answer nobody waits for")
        }
    }

    @Test(arguments: [
        ("method=nonsense", "unknown method 'nonsense'; methods: gradcam"),
        ("seed=-4", "seed must be an integer in 0...9007199254740991, got '-4'"),
        ("class=1,2", "the sanity check explains one class, got 2"),
        ("top=5", "top"),
    ])
    func refusesBadParameters(_ query: String, _ message: String) async throws {
        try await withSharedService { port in
            let reply = try await post(port, "/sanity?model=alexnet_small&\(query)", raw: Fixture.png, contentType: "image/png")
            #expect(reply.status == 400)
            #expect(reply.text.contains(message), "\(reply.text)")
        }
    }
}
