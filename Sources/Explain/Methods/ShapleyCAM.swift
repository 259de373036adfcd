import Tensor

/// ShapleyCAM (Cai, 2025), as pytorch-grad-cam computes it (`shapley_cam.py`): for class `k`
/// the channel weights are `α[k, c] = mean_ij (G_k − ½·H_k·A)[c, ij]`, where `G_k = ∂S_k/∂A`
/// (the logit's gradient at the layer's activations `A [C, h, w]`) and `H_k·A` the product of
/// the logit's Hessian at the layer with `A` (the library: `autograd.grad(grads, activations,
/// grad_outputs=activations)` through a graph made with `create_graph=True`); the map is
/// `Σ_c α[k, c]·A[c]`, as Grad-CAM's.
///
/// `H_k·A` is computed one of two ways, per layer, and the document's `"parameters"` say which:
///
/// - **Zero** (`"hessian": "zero (piecewise-linear head)"`, no extra pass) when every operator
///   between the layer and the scores is piecewise linear in it (ReLU and its kin, pooling,
///   convolution and linear layers, batch normalization, sums, products with a constant,
///   reshaping; `piecewiseLinear`, `products`). The library's autograd gives exactly 0 there
///   too (a ReLU's or a max pool's backward has no derivative with respect to its input), and
///   the map is Grad-CAM's.
/// - **Central difference** along `A` otherwise (`"hessian": "central-difference"`,
///   `"hessian_step": ε`): `H_k·A = d/dt G_k(t·A)|_{t=1} ≈ [G_k((1+ε)·A) − G_k((1−ε)·A)] / (2ε)`,
///   with the gradients from passes that start at the layer (`Evidence.layerGradients(_:at:classes:)`):
///   `2K` rows, one forward and one backward pass per batch of them. The layer must then be
///   one every path to the scores goes through (no skip connection around it); otherwise it is
///   refused with `ExplainError.unsupportedModel`.
///
/// The step `ε = 2⁻¹⁰`: the scales `1 ± ε` and the division by `2ε` are exact in float32. The
/// truncation error is `ε²/6·|d³G/dt³|` (`ε² ≈ 1e-6`; at a head that is a LayerNorm alone,
/// `G(tA) = G(A)/t`, it is `ε²` relative), the rounding error about `u·κ/ε` (`u = 6e-8`), so
/// steps near 2⁻⁸ minimize the sum. Smaller, because a larger step lets one of the two passes
/// cross a kink of a piecewise-linear operator after the layer (HardSwish at ±3), where the
/// quotient is no derivative (autograd takes the side the point is on). Measured against the
/// library's signed maps (max |difference| / max |map|, ours in float32) on this suite's
/// fixtures (`ShapleyCAMAgreementTests`), per step 2⁻⁴ … 2⁻¹³: smooth heads (ConvNeXt's GELU
/// and LayerNorm, EfficientNet's SiLU and Sigmoid) 2e-3 at 2⁻⁴ (truncation) down to 6e-6..3e-5
/// at 2⁻⁸, then up to 1e-4..4e-4 at 2⁻¹³ (rounding); mobilenetv3's `features.2` (HardSwish
/// after it) 2e-2..9e-2 at 2⁻⁴..2⁻⁷ (a kink crossed), 7e-6 at 2⁻⁸; at 2⁻¹⁰ every case is within
/// 5e-5. Richardson extrapolation (two more passes) removes only the truncation term, already
/// below the rounding at these steps, and doubles the step at which kinks are crossed: not used.
/// `make_shapleycam_fixtures.py --step-study` prints the same study of `mean H·A` in PyTorch.
struct ShapleyCAM: ExplanationMethod {
    var name: String { "shapleycam" }
    var summary: String { "ShapleyCAM: channels weighted by the spatial mean of gradient − ½·Hessian·activations (the Hessian product by central differences after a curved operator, exactly 0 after piecewise-linear ones)" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true, layerGradients: true) }
    var smoothing: Smoothing { .all }

    /// The central difference's relative step along `A`.
    static let step: Float = 1.0 / 1024

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

    func parameters(_ requested: MethodParameters, model: ExplainableModel, layers: [Layer]) -> [String: ParameterValue] {
        let curved = layers.contains { Self.curvedNode(after: $0, in: model.graph, scores: model.logits) != nil }
        return curved ? ["hessian": .string("central-difference"), "hessian_step": .number(Double(Self.step))]
                      : ["hessian": .string("zero (piecewise-linear head)")]
    }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        let model = evidence.explainer.model
        return evidence.explanations(try evidence.camMaps { layer in
            guard let curved = Self.curvedNode(after: layer.layer, in: model.graph, scores: model.logits) else {
                return .channels(try GradCAM.weights(layer))
            }
            return .channels(try GradCAM.weights(Self.shapleyGradients(layer, evidence, curved: curved, step: Self.step)))
        })
    }

    /// The layer's evidence with `G_k − ½·H_k·A` in place of `G_k` (`[K, C, h, w]`), `H_k·A` by
    /// central differences: rows `2k` and `2k + 1` of one batch are `(1 + ε)·A` and `(1 − ε)·A`
    /// for class `k`, `ε` = `step`. `curved` (the first node after the layer with a second
    /// derivative) names why, when a pass cannot start at the layer.
    static func shapleyGradients(_ layer: LayerEvidence, _ evidence: Evidence, curved: Node, step: Float) throws -> LayerEvidence {
        let a = layer.activations, g = try layer.requireGradients()
        let size = a.channels * a.plane, classes = evidence.classes
        var scaled = [Float](repeating: 0, count: 2 * classes.count * size)
        for row in 0 ..< 2 * classes.count {
            let scale = row % 2 == 0 ? 1 + step : 1 - step
            for i in 0..<size { scaled[row * size + i] = scale * a.values[i] }
        }
        let shifted: Tensor
        do {
            shifted = try evidence.layerGradients(layer, at: Tensor(shape: [2 * classes.count, a.channels, a.height, a.width], floats: scaled),
                                                  classes: classes.flatMap { [$0, $0] })
        } catch ExplainError.unsupportedModel(let reason) {
            throw ExplainError.unsupportedModel("shapleycam needs the Hessian-vector product at the layer '\(layer.layer.name)' (node '\(curved.name)' (\(curved.op.opType)) after it has a second derivative), from passes that start at the layer, and \(reason)")
        }
        var combined = [Float](repeating: 0, count: classes.count * size)
        let half = 1 / (4 * step)  // ½ · 1/(2ε)
        for k in classes.indices {
            for i in 0..<size {
                let product = shifted.floats[2 * k * size + i] - shifted.floats[(2 * k + 1) * size + i]
                combined[k * size + i] = g[k * size + i] - half * product
            }
        }
        return try LayerEvidence(layer: layer.layer, activations: a,
                                 gradients: Tensor(shape: [classes.count, a.channels, a.height, a.width], floats: combined))
    }

    /// The first node between `layer` and the `scores` that is not piecewise linear in the
    /// layer (a Softmax after the scores does not count), or nil when `H·A` is exactly 0.
    static func curvedNode(after layer: Layer, in graph: Graph, scores: ValueID) -> Node? {
        let toScores = ExplainableModel.valuesReaching(scores, in: graph)
        var reached: Set<ValueID> = [layer.value]
        for node in graph.nodes where node.outputs.contains(where: toScores.contains) {
            let dependent = node.inputs.indices.filter { node.inputs[$0].map(reached.contains) ?? false }
            guard !dependent.isEmpty else { continue }
            let type = node.op.opType
            let linear = piecewiseLinear.contains(type)
                || (products.contains(type) && (type == "Div" ? !dependent.contains(1) : dependent.count == 1))
            guard linear else { return node }
            reached.formUnion(node.outputs)
        }
        return nil
    }
}

extension Method {
    public static let shapleycam = Method(ShapleyCAM())
}
