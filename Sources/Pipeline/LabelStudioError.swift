/// Why a Label Studio config, task or request cannot be answered (a client's error: 4xx).
public enum LabelStudioError: Error, Equatable, CustomStringConvertible {
    /// The labeling config cannot be read, or names nothing this server answers for.
    case config(String)
    /// A task or request body is not what the ML backend protocol sends.
    case request(String)

    public var description: String {
        switch self {
        case .config(let message), .request(let message): message
        }
    }
}
