import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns POSIX signals (SIGTERM from `docker stop` or Kubernetes, SIGINT from a
/// terminal) into calls of a closure, through Dispatch signal sources.
///
/// While it exists the signals are ignored by the process (so their default action,
/// terminating, no longer applies) and delivered to `handler` instead; cancelling
/// restores their default action. Dispatch registers its sources asynchronously, so
/// create the observer at startup rather than at the moment a signal is expected.
public final class SignalObserver: @unchecked Sendable {
    private let signals: [Int32]
    private let sources: [DispatchSourceSignal]

    public init(signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        self.signals = signals
        self.sources = signals.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number) }
            source.resume()
            return source
        }
    }

    /// Stops observing and restores the signals' default action.
    public func cancel() {
        for source in sources {
            source.cancel()
        }
        for number in signals {
            signal(number, SIG_DFL)
        }
    }

    deinit {
        cancel()
    }
}

extension HTTPServer {
    /// Shuts the server down gracefully (see ``shutdown(announce:grace:)``) when one
    /// of `signals` arrives, after calling `willShutDown` (where the application
    /// starts answering readiness checks 503). Keep the returned observer alive as
    /// long as that should hold.
    public func shutdownOnSignals(
        _ signals: [Int32] = [SIGTERM, SIGINT],
        announce: Duration = .zero,
        grace: Duration = .seconds(10),
        willShutDown: @escaping @Sendable (Int32) -> Void = { _ in }
    ) -> SignalObserver {
        SignalObserver(signals: signals) { [self] number in
            willShutDown(number)
            Task { await shutdown(announce: announce, grace: grace) }
        }
    }
}
