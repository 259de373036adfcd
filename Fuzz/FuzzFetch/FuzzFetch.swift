import FuzzSupport
@testable import HTTP

/// Fuzzes what the URL fetcher parses from outside: the URLs in Label Studio's tasks
/// (`FetchURL`), the IP literals in them and in `--fetch-allow` (`IPAddress(literal:)` and its
/// special range), and the origin's response head (`ResponseHead`).
///
/// Invariants: an accepted URL's description parses back to the same host, port and target; an
/// accepted literal's description parses back to the same bytes and the same range; an accepted
/// response head has a three-digit status and a non-negative Content-Length.
func fuzzFetch(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = fuzzInput(data, count)
    let text = String(decoding: bytes, as: UTF8.self)

    if let url = try? FetchURL(text) {
        let again = try? FetchURL(url.description)
        invariant(again == url, "\(url) did not parse back to itself: \(String(describing: again))")
        invariant(url.target.hasPrefix("/") && (1...65535).contains(url.port), "bad target or port in \(url)")
    }
    if let address = IPAddress(literal: text) {
        let again = IPAddress(literal: address.description)
        invariant(again == address, "\(address) did not parse back to the same bytes")
        invariant(again?.specialRange == address.specialRange, "\(address)'s range changed on a reparse")
    }
    if let head = try? ResponseHead(bytes) {
        invariant((0...999).contains(head.status), "status \(head.status) accepted")
        invariant((head.contentLength ?? 0) >= 0, "a negative Content-Length accepted")
    }
    return 0
}
