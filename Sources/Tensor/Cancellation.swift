import Synchronization

/// Tells a running computation to stop: at a deadline, or when another thread cancels it
/// (its client went away, or it was answered `timedOut` already).
///
/// The executor checks it before every node of a forward pass and every step of a backward
/// pass, and the methods that run many passes check it between them, so a stopped request
/// frees its worker within one node's time rather than after the whole computation. Checking
/// costs a clock read and an atomic load: nothing next to a node's work.
///
/// Thread safety: `cancel` may be called from any thread while the computation checks.
public final class Cancellation: Sendable {
    /// Why a computation stopped.
    public enum Reason: Int, Sendable, Equatable, CustomStringConvertible {
        case deadline = 1
        /// Whoever waited for the result no longer does.
        case abandoned = 2

        public var description: String {
            switch self {
            case .deadline: "the deadline passed"
            case .abandoned: "the result is no longer wanted"
            }
        }
    }

    /// The error a check throws once the computation must stop.
    public struct Stopped: Error, Equatable, CustomStringConvertible {
        public let reason: Reason
        public var description: String { "computation stopped: \(reason)" }
    }

    /// After this instant every check throws (`nil`: no deadline).
    public let deadline: ContinuousClock.Instant?
    /// 0 while running, else a `Reason`'s raw value (the first one set wins).
    private let state = Atomic<Int>(0)

    public init(deadline: ContinuousClock.Instant? = nil) {
        self.deadline = deadline
    }

    /// Asks the computation to stop at its next check. The first reason given is kept.
    public func cancel(_ reason: Reason = .abandoned) {
        _ = state.compareExchange(expected: 0, desired: reason.rawValue, ordering: .relaxed)
    }

    /// Why the computation must stop, or `nil` while it may go on.
    public var reason: Reason? {
        if let reason = Reason(rawValue: state.load(ordering: .relaxed)) { return reason }
        if let deadline, ContinuousClock.now >= deadline {
            cancel(.deadline)
            return Reason(rawValue: state.load(ordering: .relaxed))
        }
        return nil
    }

    /// Throws `Stopped` once the computation must stop.
    public func check() throws(Stopped) {
        if let reason { throw Stopped(reason: reason) }
    }
}
