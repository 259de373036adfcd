import Tensor

/// What the explainer computed for one image, handed to each method: the classes, their
/// scores, the layers' activations and gradients, the input gradients and the class head's
/// weights when a method asked for them (`MethodNeeds`), and a way to score other inputs.
/// Everything is channels first, whatever the model's layout.
public struct Evidence {
    /// The explained classes, in request order (`K` of them).
    public let classes: [Int]
    /// The pre-activation scores of the forward pass.
    public let logits: [Float]
    /// The preprocessed input `x [1, C, H, W]`.
    public let input: Tensor
    /// The explained layers, finest last or in the order asked (maps are fused across them).
    let layers: [LayerEvidence]
    /// `∂S_k/∂x` per rectifier rule, `[K, C, H, W]`.
    let inputGradients: [RectifierRule: Tensor]
    /// CAM: the head's weights `W [K, C]` for the `K` classes (`ClassActivationHead`).
    let classHeadWeights: [Float]?
    /// Runs the passes a method asks for itself (`scores(_:)`, and others in extensions).
    let explainer: Explainer
    /// The request's method parameters (nil fields: the method's defaults).
    public let parameters: MethodParameters
    /// `∂S_k/∂z` at every bias layer's output, when a method asked (`MethodNeeds.biasGradients`).
    var biasGradients: [BiasGradient] = []

    /// How many inputs a method should put in one `scores` batch (1 once the graph has shown
    /// it cannot run batches).
    public var scoreBatchSize: Int { explainer.scoreBatchSize }

    /// The logits of a batch of inputs `[B, C, H, W]`, flattened `[B, classes]`. Time spent here
    /// counts as forward time; a graph that cannot run batches scores them one at a time.
    public func scores(_ batch: Tensor) throws -> [Float] {
        try explainer.timedPass { try explainer.scores(batch) }
    }

    /// `∂S_k/∂x` for class `k` (its position in `classes`) under `rule`: `[C, H, W]`.
    func inputGradient(_ k: Int, rule: RectifierRule) throws -> Tensor {
        guard let gradients = inputGradients[rule] else {
            throw ExplainError.internalInconsistency("no input gradient under the \(rule) rule was computed")
        }
        let size = gradients.count / gradients.shape[0]
        return Tensor(shape: Array(gradients.shape.dropFirst()), floats: Array(gradients.floats[k * size ..< (k + 1) * size]))
    }

    /// The class maps of a layer method: `map` gives each layer's raw maps `[K, h, w]`, which
    /// are normalized (`Heatmap`) and fused across layers per class.
    func layerMaps(_ map: (LayerEvidence) throws -> RawMaps) throws -> [Heatmap] {
        guard !layers.isEmpty else { throw ExplainError.internalInconsistency("no layer to explain") }
        let perLayer = try layers.map { layer in
            let raw = try map(layer)
            return (0..<raw.count).map { Heatmap(raw: raw.plane($0), width: raw.width, height: raw.height) }
        }
        return classes.indices.map { k in Heatmap.fused(perLayer.map { $0[k] }) }
    }

    /// Explanations made of class maps alone.
    func explanations(_ heatmaps: [Heatmap]) -> [ClassExplanation] {
        zip(classes, heatmaps).map { ClassExplanation(classIndex: $0, heatmap: $1, attributions: []) }
    }
}

/// One explained layer: its activations and, when asked, the class gradients to them.
struct LayerEvidence {
    let layer: Layer
    /// `A [1, C, h, w]`.
    let activations: LayerActivations
    /// `G [K, C, h, w]`, one row per explained class.
    let gradients: [Float]?

    init(layer: Layer, activations: LayerActivations, gradients: Tensor?) throws {
        self.layer = layer
        self.activations = activations
        if let gradients {
            let a = activations
            guard gradients.shape.count == 4, gradients.shape.dropFirst() == [a.channels, a.height, a.width] else {
                throw ExplainError.internalInconsistency("gradients \(gradients.shape) do not match activations [1, \(a.channels), \(a.height), \(a.width)]")
            }
        }
        self.gradients = gradients?.floats
    }

    func requireGradients() throws -> [Float] {
        guard let gradients else { throw ExplainError.internalInconsistency("no gradients at layer '\(layer.name)'") }
        return gradients
    }

    /// Channel weights `α[k, c] = f(G[k, c], A[c], S_c)` with `S_c = Σ_ij A[c]`: `f` reads one
    /// channel's gradient and activation planes (`plane` values each).
    func channelWeights(_ f: (_ gradient: UnsafePointer<Float>, _ activation: UnsafePointer<Float>, _ plane: Int,
                              _ activationSum: Double) -> Double) throws -> [Float] {
        let g = try requireGradients(), a = activations
        let targets = g.count / (a.channels * a.plane)
        let activationSums: [Double] = (0..<a.channels).map { c in
            a.values[c * a.plane ..< (c + 1) * a.plane].reduce(0.0) { $0 + Double($1) }
        }
        var weights = [Float](repeating: 0, count: targets * a.channels)
        g.withUnsafeBufferPointer { g in
            a.values.withUnsafeBufferPointer { av in
                for k in 0..<targets {
                    for c in 0..<a.channels {
                        weights[k * a.channels + c] = Float(f(g.baseAddress! + (k * a.channels + c) * a.plane,
                                                              av.baseAddress! + c * a.plane, a.plane, activationSums[c]))
                    }
                }
            }
        }
        return weights
    }
}
