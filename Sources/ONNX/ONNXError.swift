/// Why a model could not be loaded. Every case names the file, node or tensor at fault
/// and, where there is a fixed set of accepted values, lists them.
public enum ONNXError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    /// The bytes are not a well-formed ONNX model (truncated, corrupt or not protobuf).
    case corrupt(path: String, reason: String)
    case unsupportedOpset(domain: String, version: Int, supported: ClosedRange<Int>)
    case unsupportedOperator(op: String, node: String, supported: [String])
    case unsupportedAttribute(op: String, node: String, attribute: String, supported: [String])
    case invalidNode(op: String, node: String, reason: String)
    case unsupportedTensor(name: String, reason: String)
    case externalData(tensor: String, reason: String)
    case invalidGraph(String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            "cannot read model '\(path)': \(reason)"
        case let .corrupt(path, reason):
            "'\(path)' is not a valid ONNX model: \(reason)"
        case let .unsupportedOpset(domain, version, supported):
            "the model needs opset \(version) of domain '\(domain.isEmpty ? "ai.onnx" : domain)'; supported: ai.onnx \(supported.lowerBound)...\(supported.upperBound)"
        case let .unsupportedOperator(op, node, supported):
            "node '\(node)' uses operator '\(op)', which is not supported; supported operators: \(supported.joined(separator: ", "))"
        case let .unsupportedAttribute(op, node, attribute, supported):
            "node '\(node)' (\(op)) has attribute '\(attribute)', which is not supported; \(op) accepts: \(supported.isEmpty ? "none" : supported.joined(separator: ", "))"
        case let .invalidNode(op, node, reason):
            "node '\(node)' (\(op)): \(reason)"
        case let .unsupportedTensor(name, reason):
            "tensor '\(name)': \(reason)"
        case let .externalData(tensor, reason):
            "external data of tensor '\(tensor)': \(reason)"
        case let .invalidGraph(reason):
            "invalid graph: \(reason)"
        }
    }
}
