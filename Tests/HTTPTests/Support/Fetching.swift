import Testing
import TestSupport
@testable import HTTP

/// `fetcher.fetchBlocking(url)` on a thread of its own (it blocks).
func fetch(_ fetcher: URLFetcher, _ url: String) async throws -> [UInt8] {
    try await onThread { try fetcher.fetchBlocking(url) }
}

/// Expects fetching `url` to fail, its error naming `reason`.
func expectFetchError(_ fetcher: URLFetcher, _ url: String, _ reason: String, sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        let body = try await fetch(fetcher, url)
        Issue.record("fetched \(body.count) bytes from \(url)", sourceLocation: sourceLocation)
    } catch {
        #expect("\(error)".contains(reason), "\(error)", sourceLocation: sourceLocation)
    }
}
