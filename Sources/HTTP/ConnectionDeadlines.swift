import Dispatch

/// A connection's two deadlines on one Dispatch timer: the read deadline (the header,
/// keep-alive, body or linger timeout, whichever the state calls for) and the write
/// deadline (the write timeout, from the last progress). Confined to the connection's
/// queue, like the connection.
///
/// Setting a deadline schedules the timer for the earliest one; pushing a deadline later
/// (as every body read does) leaves the timer alone, and it re-arms when it fires early
/// (``expired(at:)``), so a busy body costs no timer syscalls.
final class ConnectionDeadlines {
    /// Which deadline passed when the timer fired.
    enum Expiry {
        /// The client stopped reading its response.
        case write
        /// What the connection waits to read did not come in time.
        case read
    }

    private let timer: DispatchSourceTimer
    private var scheduled: DispatchTime?
    private var cancelled = false

    var read: DispatchTime? {
        didSet { reschedule() }
    }

    var write: DispatchTime? {
        didSet { reschedule() }
    }

    init(queue: DispatchQueue) {
        timer = DispatchSource.makeTimerSource(queue: queue)
    }

    /// Starts the timer; `fired` runs on the queue each time it fires.
    func start(fired: @escaping () -> Void) {
        timer.setEventHandler(handler: fired)
        scheduled = nil
        timer.schedule(deadline: .distantFuture)
        timer.resume()
        reschedule()
    }

    /// Called when the timer fires: the deadline that has passed, the write deadline
    /// first, or nil (having re-armed for the nearest deadline) if none has.
    func expired(at now: DispatchTime) -> Expiry? {
        scheduled = nil
        if let write, now >= write { return .write }
        if let read, now >= read { return .read }
        reschedule()
        return nil
    }

    /// Stops the timer for good (the connection is closing).
    func cancel() {
        cancelled = true
        timer.cancel()
    }

    private func reschedule() {
        guard !cancelled, let deadline = [read, write].compactMap({ $0 }).min() else { return }
        if let scheduled, scheduled <= deadline { return }
        scheduled = deadline
        timer.schedule(deadline: deadline)
    }
}

extension HTTPServer.Configuration {
    /// The read deadline of a request body after progress: the earliest of the idle
    /// timeout from `now`, the overall body deadline, and the moment the average rate
    /// since the body began would fall below `minBodyBytesPerSecond` (never before the
    /// grace period ends), so a client trickling bytes is cut off however it spaces them.
    ///
    /// - Parameters:
    ///   - started: when the body began (the end of its header section).
    ///   - received: body bytes received since then.
    func bodyDeadline(started: DispatchTime, received: Int, now: DispatchTime) -> DispatchTime {
        var deadline = min(now + bodyIdleTimeout.dispatchInterval, started + bodyTimeout.dispatchInterval)
        if minBodyBytesPerSecond > 0 {
            // Doubles: the byte count is bounded by the body limit, and the quotient is
            // only compared, so no integer product can overflow.
            let earned = Double(received) / Double(minBodyBytesPerSecond)
            let allowed = min(max(bodyRateGracePeriod.seconds, earned), bodyTimeout.seconds)
            deadline = min(deadline, started + .nanoseconds(Int(allowed * 1e9)))
        }
        return deadline
    }
}
