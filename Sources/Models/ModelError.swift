import ClientText

/// Why a model, its manifest entry or a request against it is refused. Messages name the
/// file or value at fault and what is accepted.
public enum ModelError: Error, Equatable, CustomStringConvertible {
    case manifest(path: String, reason: String)
    case checksumMismatch(file: String, expected: String, actual: String)
    case missingFile(model: String, path: String)
    case labels(path: String, reason: String)
    case invalidPreprocessing(String)
    case load(model: String, reason: String)
    case unknownModel(String, available: [String])
    case unknownClass(String, model: String, hint: String)
    case invalidRequest(String)

    public var description: String {
        switch self {
        case let .manifest(path, reason):
            "manifest '\(path)': \(reason)"
        case let .checksumMismatch(file, expected, actual):
            "'\(file)' has SHA-256 \(actual) but the manifest expects \(expected); the file is corrupt or not the one the manifest describes (re-download it, or fix the manifest entry)"
        case let .missingFile(model, path):
            "model '\(model)': file '\(path)' does not exist"
        case let .labels(path, reason):
            "labels file '\(path)': \(reason)"
        case let .invalidPreprocessing(reason):
            "invalid preprocessing: \(reason)"
        case let .load(model, reason):
            "model '\(model)' cannot be loaded: \(reason)"
        case let .unknownModel(name, available):
            "unknown model \(ClientText.quoted(name)); available: \(available.isEmpty ? "none" : available.joined(separator: ", "))"
        case let .unknownClass(name, model, hint):
            "unknown class \(ClientText.quoted(name)) for model '\(model)'; \(hint)"
        case let .invalidRequest(reason):
            reason
        }
    }
}
