import ClientText

/// Why an explanation cannot be made. Client mistakes (an unknown layer or class) are
/// distinguished from models that cannot be explained and from internal faults.
public enum ExplainError: Error, Equatable, CustomStringConvertible {
    case unknownLayer(String, available: [String])
    case layerNotSpatial(String, shape: [Int])
    case layerNotOnPath(String)
    case classOutOfRange(Int, classCount: Int)
    case noClassActivationHead(String)
    case notDilatable(String)
    case unsupportedModel(String)
    /// A method parameter out of its range, or one the model's input cannot take.
    case invalidParameter(String)
    case internalInconsistency(String)

    public var description: String {
        switch self {
        case let .unknownLayer(name, available):
            "unknown layer \(ClientText.quoted(name)); available: \(available.joined(separator: ", "))"
        case let .layerNotSpatial(name, shape):
            "layer \(ClientText.quoted(name)) has shape \(shape); explanations need a [1, C, H, W] feature map"
        case let .layerNotOnPath(name):
            "the scores do not depend on layer \(ClientText.quoted(name))"
        case let .classOutOfRange(index, count):
            "class \(index) is out of range; the model has classes 0...\(count - 1)"
        case let .noClassActivationHead(reason):
            "this method needs a global-average-pool + linear head after the layer: \(reason)"
        case let .notDilatable(reason):
            "cannot dilate this model: \(reason)"
        case let .invalidParameter(reason):
            reason
        case let .unsupportedModel(reason):
            "cannot explain this model: \(reason)"
        case let .internalInconsistency(reason):
            "internal error: \(reason)"
        }
    }
}
