import Dispatch

/// The one home of `Duration` conversions, for the server and the service above it.
extension Duration {
    /// The duration as a Dispatch interval, clamped to what Dispatch can represent.
    public var dispatchInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = components
        guard seconds < Int64(Int.max / 1_000_000_000) - 1 else { return .never }
        return .nanoseconds(Int(max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)))
    }
}

extension Duration {
    /// The duration in seconds, for rates, metrics and messages.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
