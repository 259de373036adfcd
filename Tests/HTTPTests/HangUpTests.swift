import TestSupport
import Synchronization
import Testing
@testable import HTTP

/// A client that hangs up while its request is being answered cancels the responder's
/// task, so the work done for it stops (the service's worker pool stops the job at its next
/// check); a client that stays, or sends its next request early, is answered as before.
@Suite(.timeLimit(.minutes(1))) struct HangUpTests {
    /// Works on `/wait?ms=N` (20 s by default) unless its task is cancelled; counts the
    /// requests started and the ones that ended cancelled, and says which in its answer.
    final class WaitingResponder: HTTPResponder {
        let started = Atomic<Int>(0)
        let cancelled = Atomic<Int>(0)

        func respond(to request: HTTPRequest) async -> HTTPResponse {
            started.add(1, ordering: .relaxed)
            let milliseconds = Int(request.queryValue("ms") ?? "") ?? 20_000
            try? await Task.sleep(for: .milliseconds(milliseconds))
            guard !Task.isCancelled else {
                cancelled.add(1, ordering: .relaxed)
                return .text("cancelled")
            }
            return .text("done")
        }
    }

    /// Polls `condition` every 5 ms for at most 5 s.
    private func eventually(_ condition: () -> Bool) async throws -> Bool {
        let start = monotonicSeconds()
        while !condition() {
            guard monotonicSeconds() - start < 5 else { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    @Test func aClientThatClosesCancelsItsRequest() async throws {
        let responder = WaitingResponder()
        try await withServer(responder: responder) { _, port in
            do {
                let client = try SocketClient(port: port)
                await client.send("GET /wait HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try await eventually { responder.started.load(ordering: .relaxed) == 1 })
            }  // The client closes here.
            #expect(try await eventually { responder.cancelled.load(ordering: .relaxed) == 1 },
                    "the responder still works for a client that has gone")
        }
    }

    @Test func aClientThatResetsCancelsItsRequest() async throws {
        let responder = WaitingResponder()
        try await withServer(responder: responder) { _, port in
            do {
                let client = try SocketClient(port: port)
                client.resetOnClose()
                await client.send("GET /wait HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try await eventually { responder.started.load(ordering: .relaxed) == 1 })
            }
            #expect(try await eventually { responder.cancelled.load(ordering: .relaxed) == 1 })
        }
    }

    @Test func aHalfClosedClientStillGetsTheAnswer() async throws {
        let responder = WaitingResponder()
        try await withServer(responder: responder) { _, port in
            let client = try SocketClient(port: port)
            await client.send("GET /wait HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await eventually { responder.started.load(ordering: .relaxed) == 1 })
            client.closeSending()
            // Its end of stream cancels the work, as a hang-up; the answer is still written.
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "cancelled")
        }
    }

    @Test func aPipelinedRequestDoesNotCancelTheOneBeforeIt() async throws {
        let responder = WaitingResponder()
        try await withServer(responder: responder) { _, port in
            let client = try SocketClient(port: port)
            await client.send("GET /wait?ms=300 HTTP/1.1\r\nHost: t\r\n\r\nGET /wait?ms=1 HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await client.readResponse().text == "done")
            #expect(try await client.readResponse().text == "done")
            #expect(responder.cancelled.load(ordering: .relaxed) == 0)
        }
    }
}
