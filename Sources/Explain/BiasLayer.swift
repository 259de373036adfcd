import Tensor

/// A layer that adds a per-channel bias, as FullGrad (Srinivas & Fleuret 2019) reads it: the
/// output `z [1, C, h, w]` of a 2-D convolution with a constant bias `b [C]`, or of a batch
/// normalization with its effective bias `b = B − mean · scale / √(var + ε)` (pytorch-grad-cam's
/// `FullGrad.get_bias_data`; `BatchNormalization.folded.shift`, computed in Double).
///
/// pytorch-grad-cam takes every `Conv2d` whose bias is not None and every `BatchNorm2d`. A
/// graph exported in eval mode has each bias-free convolution's BatchNorm folded into it: that
/// convolution's bias is then the BatchNorm's effective bias and its output the BatchNorm's
/// output, so the layer and its gradient are the library's (a convolution with a bias of its own
/// *and* a BatchNorm after it would be two terms in the library and one here).
struct BiasLayer {
    let layer: Layer
    /// `b [C]`, one value per channel of `layer`.
    let bias: [Float]

    /// Every bias layer whose output the scores depend on (`ExplainableModel.layers`), in graph
    /// order. Throws `unsupportedModel` for a convolution whose bias, or a batch normalization
    /// whose parameters, are computed at run time rather than stored in the model.
    static func all(in model: ExplainableModel) throws -> [BiasLayer] {
        let graph = model.graph
        return try model.layers.compactMap { layer -> BiasLayer? in
            guard let producer = graph.producer(of: layer.value) else { return nil }
            let node = graph.nodes[producer]
            let bias: [Float]
            if node.op is Conv {
                guard node.inputs.count > 2, let id = node.inputs[2] else { return nil }
                guard let constant = graph.constants[id] else {
                    throw ExplainError.unsupportedModel("FullGrad reads each convolution's bias; node '\(node.name)' computes its bias at run time")
                }
                bias = constant.floats
            } else if let normalization = node.op as? BatchNormalization {
                guard let affine = normalization.folded else {
                    throw ExplainError.unsupportedModel("FullGrad reads each batch normalization's bias; node '\(node.name)' computes its parameters at run time")
                }
                bias = affine.shift
            } else {
                return nil
            }
            guard bias.count == layer.channels else {
                throw ExplainError.internalInconsistency("node '\(node.name)' has \(bias.count) biases for \(layer.channels) channels")
            }
            return BiasLayer(layer: layer, bias: bias)
        }
    }
}

/// A bias layer and `G [K, C, h, w] = ∂S_k/∂z` at its output, one row per explained class.
struct BiasGradient {
    let layer: BiasLayer
    let gradients: Tensor

    /// The gradient at `layer`'s output from a backward pass that had it as a target.
    init(_ layer: BiasLayer, _ pass: PassResult) throws {
        self.layer = layer
        gradients = layer.layer.layout.nchw(try pass.tensor(layer.layer.value))
    }
}
