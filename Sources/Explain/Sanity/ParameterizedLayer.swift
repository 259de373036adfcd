import Tensor

/// A layer whose parameters the sanity check redraws: a node on the path to the scores whose
/// weights are constants — `Conv`, `Gemm`, `MatMul` with a constant matrix, and
/// `BatchNormalization`.
///
/// The new values are PyTorch's default initialization (`reset_parameters`), which is what
/// Quantus's model-parameter randomisation test calls on each layer:
/// - `Conv` weight `[M, C/g, kh, kw]` and bias `[M]`, `Gemm`/`MatMul` matrix and bias:
///   uniform on `[−b, b)` with `b = 1/√fanIn` (`fanIn = C/g·kh·kw` for a convolution, the
///   input features `K` for a matrix `K x N`, or `N x K` when `Gemm` has `transB`);
/// - `BatchNormalization`: scale 1, bias 0, running mean 0, running variance 1.
public struct ParameterizedLayer: Sendable, Equatable {
    /// How one parameter tensor is redrawn.
    public enum Fill: Sendable, Equatable {
        /// Uniform on `[−bound, bound)`.
        case uniform(bound: Float)
        /// Every element `value` (BatchNormalization's reset).
        case constant(Float)
    }

    /// One parameter tensor: its name in the graph (the ONNX initializer) and shape.
    public struct Parameter: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let fill: Fill
    }

    /// The node's name.
    public let node: String
    /// `Conv`, `Gemm`, `MatMul` or `BatchNormalization`.
    public let op: String
    public let parameters: [Parameter]

    /// The parameterized layers `model`'s scores depend on, nearest the scores first: the
    /// order in which the cascade randomizes them (Adebayo et al.'s "top down").
    public static func cascade(of model: ExplainableModel) -> [ParameterizedLayer] {
        let graph = model.graph
        let reaching = ExplainableModel.valuesReaching(model.logits, in: graph)
        return graph.nodes.reversed().compactMap { node in
            guard node.outputs.contains(where: reaching.contains) else { return nil }
            return layer(node, in: graph)
        }
    }

    private static func layer(_ node: Node, in graph: Graph) -> ParameterizedLayer? {
        func constant(_ position: Int) -> (name: String, tensor: Tensor)? {
            guard position < node.inputs.count, let id = node.inputs[position], let tensor = graph.constants[id],
                  tensor.elementType == .float32 else { return nil }
            return (graph.name(of: id), tensor)
        }
        func parameters(weight position: Int, fanIn: (Tensor) -> Int) -> [Parameter]? {
            guard let weight = constant(position), fanIn(weight.tensor) > 0 else { return nil }
            let fill = Fill.uniform(bound: 1 / Float(fanIn(weight.tensor)).squareRoot())
            return [Parameter(name: weight.name, shape: weight.tensor.shape, fill: fill)]
                + (constant(position + 1).map { [Parameter(name: $0.name, shape: $0.tensor.shape, fill: fill)] } ?? [])
        }
        let found: [Parameter]?
        switch node.op.opType {
        case "Conv":
            found = parameters(weight: 1) { $0.rank > 2 ? $0.shape.dropFirst().reduce(1, *) : 0 }
        case "Gemm":
            let transB = (node.op as? Gemm)?.transB ?? false
            found = parameters(weight: 1) { $0.rank == 2 ? $0.shape[transB ? 1 : 0] : 0 }
        case "MatMul":
            // A constant matrix `K x N` on the right; no bias input.
            found = parameters(weight: 1) { $0.rank == 2 ? $0.shape[0] : 0 }.map { Array($0.prefix(1)) }
        case "BatchNormalization":
            let reset: [Float] = [1, 0, 0, 1]  // scale, B, mean, var
            let tensors = (1...4).map(constant)
            found = tensors.allSatisfy({ $0 != nil })
                ? zip(tensors, reset).map { Parameter(name: $0!.name, shape: $0!.tensor.shape, fill: .constant($1)) } : nil
        default:
            found = nil
        }
        guard let found else { return nil }
        return ParameterizedLayer(node: node.name, op: node.op.opType, parameters: found)
    }

    /// This layer's parameters redrawn, by name. The layer at `position` in the cascade (0 =
    /// nearest the scores) draws from SplitMix64 seeded with `seed + position · 0xD1B54A32D192ED03`,
    /// parameter after parameter in order, each element `(2u − 1)·b` with `u` the generator's
    /// top 24 bits over 2²⁴: the same seed gives the same weights, whichever steps run.
    public func randomized(seed: UInt64, position: Int) -> [String: Tensor] {
        var generator = WeightGenerator(seed: seed &+ UInt64(position) &* 0xD1B5_4A32_D192_ED03)
        var tensors: [String: Tensor] = [:]
        for parameter in parameters {
            let count = parameter.shape.reduce(1, *)
            let values: [Float]
            switch parameter.fill {
            case .uniform(let bound): values = (0..<count).map { _ in (2 * generator.unit() - 1) * bound }
            case .constant(let value): values = [Float](repeating: value, count: count)
            }
            tensors[parameter.name] = Tensor(shape: parameter.shape, floats: values)
        }
        return tensors
    }
}
