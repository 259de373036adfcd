import Synchronization
import TestSupport
import Testing
@testable import HTTP
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The poller's contract on a socket pair: one event per arming, only for what was armed
/// (or a hang-up), nothing after deregistration, and tokens never reused.
@Suite(.timeLimit(.minutes(1))) struct ReadinessPollerTests {
    /// The events a handler received, in order.
    final class Events: Sendable {
        private let received = Mutex<[Readiness]>([])
        var all: [Readiness] { received.withLock { $0 } }
        func append(_ ready: Readiness) { received.withLock { $0.append(ready) } }
    }

    /// A connected pair of stream sockets, closed at the end.
    struct Pair: ~Copyable {
        let local: Int32
        let peer: Int32
        init() throws {
            var fds: [Int32] = [0, 0]
            try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
            local = fds[0]
            peer = fds[1]
        }
        func send(_ byte: UInt8 = 1) {
            var byte = byte
            _ = write(peer, &byte, 1)
        }
        deinit {
            _ = close(local)
            _ = close(peer)
        }
    }

    @Test func deliversOneEventPerArmingAndOnlyWhatWasArmed() async throws {
        let poller = try ReadinessPoller()
        defer { poller.stop() }
        let pair = try Pair()
        let events = Events()
        let registration = try poller.register(pair.local) { events.append($0) }

        pair.send()  // Readable, but nothing is armed yet.
        try await Task.sleep(for: .milliseconds(100))
        #expect(events.all.isEmpty)

        #expect(poller.arm(registration, for: .readable))
        #expect(try await eventually { events.all.count == 1 })
        #expect(events.all == [.readable])

        pair.send()  // Still readable, but the event disarmed the socket.
        try await Task.sleep(for: .milliseconds(100))
        #expect(events.all.count == 1)

        #expect(poller.arm(registration, for: .writable))
        #expect(try await eventually { events.all.count == 2 })
        #expect(events.all.last == .writable)
        poller.deregister(registration)
    }

    @Test func aHangUpIsReportedAsReadable() async throws {
        let poller = try ReadinessPoller()
        defer { poller.stop() }
        var fds: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { _ = close(fds[0]) }
        let events = Events()
        let registration = try poller.register(fds[0]) { events.append($0) }
        #expect(poller.arm(registration, for: .readable))
        _ = close(fds[1])
        #expect(try await eventually { events.all.count == 1 })
        #expect(events.all.first?.contains(.readable) == true)
        poller.deregister(registration)
    }

    @Test func nothingArrivesAfterDeregistrationAndTokensAreNotReused() async throws {
        let poller = try ReadinessPoller()
        defer { poller.stop() }
        let pair = try Pair()
        let first = Events(), second = Events()
        let old = try poller.register(pair.local) { first.append($0) }
        #expect(poller.arm(old, for: .readable))
        poller.deregister(old)
        #expect(poller.registrationCount == 0)

        // The same descriptor number, registered again: a new token, a new handler.
        let new = try poller.register(pair.local) { second.append($0) }
        #expect(new.token != old.token)
        #expect(poller.arm(new, for: .readable))
        pair.send()
        #expect(try await eventually { second.all.count == 1 })
        #expect(first.all.isEmpty)
        poller.deregister(new)
        #expect(poller.registrationCount == 0)
    }

    #if canImport(Glibc)
    /// (kqueue, on Darwin, adds a filter for any open descriptor.)
    @Test func armingADeregisteredSocketIsRefused() throws {
        let poller = try ReadinessPoller()
        defer { poller.stop() }
        let pair = try Pair()
        let registration = try poller.register(pair.local) { _ in }
        poller.deregister(registration)
        #expect(!poller.arm(registration, for: .readable))
    }
    #endif
}
