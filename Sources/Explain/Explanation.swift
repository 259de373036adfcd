import Tensor

/// The result of explaining one image for one or more classes.
public struct Explanation: Sendable {
    /// The pre-activation scores of the forward pass, one per class.
    public let logits: [Float]
    /// One entry per requested class, in request order.
    public let classes: [ClassExplanation]
    public let timings: StageTimings
}

/// One class's explanation.
public struct ClassExplanation: Sendable {
    public let classIndex: Int
    /// The class map in [0, 1] at the layer's resolution (several layers: the finest).
    /// For guided backpropagation, the saliency `max_c |g_c|` at the input's resolution.
    public let heatmap: Heatmap
    /// Guided methods: the input gradient through guided ReLUs, `[3, H, W]` at the model's input size.
    public let guidedGradient: Tensor?
    /// Guided Grad-CAM: `guidedGradient` times the class map upsampled to the input size.
    public let guidedGradCAM: Tensor?
}

/// Time spent in each stage of an explanation, for `gradcam bench` and metrics.
public struct StageTimings: Sendable, Equatable {
    public var forward: Duration = .zero
    public var backward: Duration = .zero
    public var map: Duration = .zero

    public init() {}
}
