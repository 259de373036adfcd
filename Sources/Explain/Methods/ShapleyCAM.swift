import Tensor

/// ShapleyCAM (Cai, 2025), as pytorch-grad-cam computes it (`shapley_cam.py`): channel weights
/// are the spatial mean of `G − ½·H·A`, where `G = ∂S_k/∂A` and `H·A` is the Hessian-vector
/// product `∂/∂A (G · A)` (autograd through the gradient, `create_graph=True`).
///
/// Our engine has reverse-mode gradients only (no second-order pass), so it takes the models
/// where `H·A` is exactly 0: every operator after the layer is piecewise linear in it
/// (ReLU and its kin, pooling, convolution and linear layers, batch normalization, sums,
/// products with a constant, reshaping). There the library's autograd gives `H·A = 0` too
/// (the backward of a ReLU or a max pool has no derivative with respect to its input), and
/// ShapleyCAM's map is Grad-CAM's. A layer followed by an operator with a second derivative
/// (Sigmoid, HardSwish, GELU, Softmax, a normalization, a product of two activations) is
/// refused with `ExplainError.unsupportedModel` naming the operator.
struct ShapleyCAM: ExplanationMethod {
    var name: String { "shapleycam" }
    var summary: String { "ShapleyCAM: channels weighted by the spatial mean of gradient − ½·Hessian·activations; layers followed by piecewise-linear operators only" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true, layerGradients: true) }
    var smoothing: Smoothing { .all }

    /// Operators whose output is piecewise linear in every input (second derivative 0 almost
    /// everywhere), or that carry no gradient (shapes, casts).
    static let piecewiseLinear: Set<String> = [
        "Relu", "LeakyRelu", "PRelu", "Clip", "HardSigmoid", "Abs", "Neg",
        "MaxPool", "GlobalMaxPool", "AveragePool", "GlobalAveragePool", "ReduceMean", "ReduceSum", "ReduceMax",
        "Conv", "Gemm", "BatchNormalization", "Add", "Sub", "Dropout", "Identity",
        "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split", "Slice", "Gather", "Pad",
        "Tile", "Expand", "Resize", "Where", "Shape", "Cast", "ConstantOfShape", "Range",
    ]
    /// Products: linear when at most one factor depends on the layer (`Div`: when the divisor does not).
    static let products: Set<String> = ["Mul", "MatMul", "Div"]

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        let model = evidence.explainer.model
        for layer in evidence.layers { try Self.requireZeroHessian(after: layer.layer, in: model.graph, scores: model.logits) }
        return evidence.explanations(try GradCAM.maps(evidence))
    }

    /// Throws `unsupportedModel` unless every node between `layer` and the `scores` is
    /// piecewise linear in it (a Softmax after the scores does not count).
    static func requireZeroHessian(after layer: Layer, in graph: Graph, scores: ValueID) throws {
        let toScores = ExplainableModel.valuesReaching(scores, in: graph)
        var reached: Set<ValueID> = [layer.value]
        for node in graph.nodes where node.outputs.contains(where: toScores.contains) {
            let dependent = node.inputs.indices.filter { node.inputs[$0].map(reached.contains) ?? false }
            guard !dependent.isEmpty else { continue }
            let type = node.op.opType
            let linear = piecewiseLinear.contains(type)
                || (products.contains(type) && (type == "Div" ? !dependent.contains(1) : dependent.count == 1))
            guard linear else {
                throw ExplainError.unsupportedModel("shapleycam needs the Hessian-vector product at the layer '\(layer.name)', and node '\(node.name)' (\(type)) after it has a second derivative; the engine has no second-order pass: choose a layer followed by piecewise-linear operators only (ReLU, pooling, convolution, linear layers, batch normalization)")
            }
            reached.formUnion(node.outputs)
        }
    }
}

extension Method {
    public static let shapleycam = Method(ShapleyCAM())
}
