import Foundation

/// Runs blocking work (socket reads, model loads, child processes) on a thread of its
/// own, so that a test waiting on it never blocks the cooperative pool the server's
/// responders run on.
@discardableResult
public func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// `onThread` for work that cannot fail.
@discardableResult
public func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}
