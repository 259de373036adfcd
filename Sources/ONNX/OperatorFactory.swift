import Tensor

/// What a builder needs to turn one ONNX node into an engine operator.
struct NodeContext {
    let name: String
    let op: String
    /// The model's opset for the default domain; semantics of some operators depend on it.
    let opset: Int
    let attributes: NodeAttributes
    /// The node's inputs that are constants (initializers, `Constant` nodes), by position;
    /// nil for runtime values and absent inputs.
    let constants: [Tensor?]

    /// Number of inputs the node names (absent optional inputs included).
    var inputCount: Int { constants.count }

    /// Number of outputs the node uses (trailing unused optional outputs not counted).
    let outputCount: Int

    /// Positions of the inputs computed at run time (neither absent nor constant).
    var runtimeInputs: Set<Int> = []

    func invalid(_ reason: String) -> ONNXError {
        .invalidNode(op: op, node: name, reason: reason)
    }
}

/// Maps ONNX operator types to engine operators, with their attributes.
///
/// Each operator family registers its builders in its own file
/// (`OperatorFactory+Convolution.swift`, ...). `Constant` nodes are not operators: the
/// importer turns them into graph constants.
enum OperatorFactory {
    typealias Builder = @Sendable (NodeContext) throws -> any Operator

    static let builders: [String: Builder] = [
        convolutionBuilders, activationBuilders, poolingBuilders, normalizationBuilders, linearBuilders,
        arithmeticBuilders, shapeBuilders,
        reductionBuilders,
        upsamplingBuilders,
    ].reduce(into: [:]) { all, family in all.merge(family) { first, _ in first } }

    /// Every operator type a model may use, sorted.
    static var supported: [String] { (Array(builders.keys) + ["Constant"]).sorted() }

    static func make(_ context: NodeContext) throws -> any Operator {
        guard let build = builders[context.op] else {
            throw ONNXError.unsupportedOperator(op: context.op, node: context.name, supported: supported)
        }
        let op = try build(context)
        try context.attributes.requireAllConsumed()
        return op
    }
}

extension NodeContext {
    /// The `auto_pad` attribute.
    func autoPad() throws -> AutoPad {
        let text = try attributes.string("auto_pad") ?? "NOTSET"
        guard let value = AutoPad(rawValue: text) else {
            throw invalid("auto_pad '\(text)' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID")
        }
        return value
    }

    /// Turns an engine error from an operator's initializer into an import error.
    func building<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as EngineError {
            throw invalid("\(error)")
        }
    }
}
