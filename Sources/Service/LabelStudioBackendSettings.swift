import HTTP

/// How the Label Studio ML backend reaches task images: Label Studio's own address, for the
/// relative `/data/upload/…` references it sends, and the fetch policy every image URL is
/// fetched under (its allowed hosts, caps, trusted CAs and Label Studio's `Authorization: Token …`).
public struct LabelStudioBackendSettings: Sendable {
    /// `http://host[:port]` of Label Studio (`--label-studio-url`, or `LABEL_STUDIO_URL`), or nil
    /// when relative references cannot be answered.
    public var baseURL: String?
    /// With no `--fetch-allow`, nothing is fetched.
    public var fetch = FetchPolicy(allowed: [])

    public init() {}

    /// The absolute URL of a task's image reference: `/…` is taken relative to ``baseURL``,
    /// `http(s)://…` as it is; anything else is refused.
    func absolute(_ reference: String) throws -> String {
        if reference.hasPrefix("/") && !reference.hasPrefix("//") {
            guard let baseURL else {
                throw ServiceError(.badRequest, "image_unreachable",
                                   "the task's image is a path on Label Studio's host, but the server does not know that host; start it with --label-studio-url")
            }
            return (baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL) + reference
        }
        let lower = reference.prefix(8).lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw ServiceError(.badRequest, "image_unreachable",
                               "the task's image reference is neither a path on Label Studio's host (/data/…) nor an http:// or https:// URL")
        }
        return reference
    }
}
