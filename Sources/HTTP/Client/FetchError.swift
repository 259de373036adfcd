/// Why a URL was not fetched.
public enum FetchError: Error, Equatable, CustomStringConvertible {
    /// The policy forbids it: a host not allowed, an address in a special range, a redirect off
    /// the host, a malformed URL. Nothing was sent (or, for a redirect, nothing more).
    case refused(String)
    /// The host could not be resolved or reached, or answered with something other than 200.
    case failed(String)
    /// The body is larger than the cap.
    case tooLarge(limit: Int)
    /// The whole fetch took longer than the time cap.
    case timedOut(seconds: Double)

    public var description: String {
        switch self {
        case .refused(let why): "refused: \(why)"
        case .failed(let why): why
        case .tooLarge(let limit): "the response body is larger than \(limit) bytes"
        case .timedOut(let seconds): "the fetch took longer than \(seconds) s"
        }
    }
}
