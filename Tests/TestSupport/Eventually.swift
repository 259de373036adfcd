/// Waits until `condition` holds, polling every 5 ms for at most `limit`; returns whether
/// it did. Every wait in the socket suites is bounded, so a broken server fails one test
/// instead of hanging the run.
public func eventually(within limit: Duration = .seconds(10), _ condition: () -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + limit
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        try await Task.sleep(for: .milliseconds(5))
    }
    return true
}
