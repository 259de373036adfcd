import HTTP
import Service
import TestSupport
import Testing

/// The service's side of a graceful shutdown (``GradCAMService/beginDrain()``):
/// readiness fails at once, new work is refused from its head, the rest is answered.
@Suite(.timeLimit(.minutes(2))) struct DrainTests {
    @Test func readinessFailsAndNewWorkIsRefusedOnceDraining() async throws {
        // No models loaded (loading them is slow): readiness says not_ready until the
        // drain, which takes precedence.
        try await withService(load: false) { service, port in
            let client = try SocketClient(port: port)
            #expect(try await client.exchange(request("GET", "/readyz")).errorCode == "not_ready")

            service.beginDrain()
            let readiness = try await client.exchange(request("GET", "/readyz"))
            #expect(readiness.isClosingError(503, "shutting_down"))
            #expect(readiness.header("Retry-After") == "1")
            #expect(readiness.header("Connection") == "close")
            #expect(await client.waitForClose())

            // A POST is refused on its head: 503, Retry-After, Connection: close, and no
            // `100 Continue` invites its body.
            let poster = try SocketClient(port: port)
            await poster.send(request("POST", "/predict?model=vgg16_small",
                                      headers: [("Content-Length", "200000"), ("Expect", "100-continue")]))
            let refused = try await poster.readResponse()
            #expect(refused.status == 503)
            #expect(refused.errorCode == "shutting_down")
            #expect(refused.header("Retry-After") == "1")
            #expect(refused.header("Connection") == "close")

            // Other requests are still answered while the instance drains (the server,
            // draining too in a real shutdown, adds `Connection: close`).
            let reader = try SocketClient(port: port)
            #expect(try await reader.exchange(request("GET", "/healthz")).status == 200)
        }
    }

    @Test func screeningLeavesRequestsAloneUntilTheDrain() async throws {
        let service = GradCAMService(configuration: ServiceConfiguration(workers: 1, threadsPerWorker: 1))
        defer { service.shutdown() }
        let post = HTTPRequest(method: "POST", target: "/predict?model=x")
        #expect(service.screen(head: post) == nil)
        service.beginDrain()
        #expect(service.screen(head: post)?.status.code == 503)
        #expect(service.screen(head: HTTPRequest(method: "GET", target: "/models")) == nil)
    }
}
