import Dispatch
import Testing
@testable import HTTP

/// `Configuration.bodyDeadline`: the earliest of the idle timeout, the overall body
/// deadline and the minimum-rate deadline (not before the grace period).
@Suite struct BodyDeadlineTests {
    /// Idle 10 s, overall 60 s, at least 1000 B/s after a 5 s grace period.
    static var configuration: HTTPServer.Configuration {
        var configuration = HTTPServer.Configuration()
        configuration.bodyIdleTimeout = .seconds(10)
        configuration.bodyTimeout = .seconds(60)
        configuration.minBodyBytesPerSecond = 1000
        configuration.bodyRateGracePeriod = .seconds(5)
        return configuration
    }

    let start = DispatchTime(uptimeNanoseconds: 1_000_000_000_000)

    func deadline(received: Int, after seconds: Int) -> Double {
        let now = start + .seconds(seconds)
        let deadline = Self.configuration.bodyDeadline(started: start, received: received, now: now)
        return Double(deadline.uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    @Test func nothingReceivedGetsTheGracePeriod() {
        #expect(deadline(received: 0, after: 0) == 5)
    }

    @Test func bytesEarnTimeAtTheMinimumRate() {
        // 20,000 bytes earn 20 s; the idle timeout from 15 s would allow 25.
        #expect(deadline(received: 20_000, after: 15) == 20)
    }

    @Test func theIdleTimeoutBindsAFastBodyThatStops() {
        #expect(deadline(received: 1_000_000, after: 2) == 12)
    }

    @Test func noRateEarnsMoreThanTheOverallDeadline() {
        #expect(deadline(received: 1_000_000_000, after: 55) == 60)
    }

    @Test func aZeroRateTurnsTheRateLimitOff() {
        var configuration = Self.configuration
        configuration.minBodyBytesPerSecond = 0
        let deadline = configuration.bodyDeadline(started: start, received: 0, now: start)
        #expect(deadline == start + .seconds(10))
    }
}
