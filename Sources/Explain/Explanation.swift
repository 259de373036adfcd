import Tensor

/// The result of explaining one image for one or more classes.
public struct Explanation: Sendable {
    /// The pre-activation scores of the forward pass, one per class.
    public let logits: [Float]
    /// One entry per requested class, in request order.
    public let classes: [ClassExplanation]
    public let timings: StageTimings
    /// The method's parameter values, defaults filled in (`ExplanationMethod.parameters`).
    public let parameters: [String: ParameterValue]
}

/// One class's explanation.
public struct ClassExplanation: Sendable {
    public let classIndex: Int
    /// The class map in [0, 1]: at the layer's resolution for the layer methods (several
    /// layers: the finest); for a method without a layer, the saliency of its attribution at
    /// the input's resolution.
    public let heatmap: Heatmap
    /// Maps at the input's resolution, per input channel: the method's own first (the
    /// document's map), then any it was made from (guided Grad-CAM's guided backpropagation).
    public let attributions: [Attribution]
    /// The concepts a factorizing method found in the layer (`dff`), the same for every class;
    /// nil for the other methods.
    public var concepts: [Concept]?

    public init(classIndex: Int, heatmap: Heatmap, attributions: [Attribution], concepts: [Concept]? = nil) {
        self.classIndex = classIndex
        self.heatmap = heatmap
        self.attributions = attributions
        self.concepts = concepts
    }
}

/// One concept of a factorization of a layer's activations: where it is (its map at the
/// layer's resolution) and what the model's head makes of it (`logits`, one per class).
public struct Concept: Sendable {
    public let heatmap: Heatmap
    public let logits: [Float]
    /// How many of its classes of largest logit the document lists (`dff`'s `concept_classes`).
    public let listedClasses: Int
}

/// A map at the model's input resolution with one plane per input channel, `[C, H, W]`
/// (channels first), named for its picture (`guided_backprop`, `guided_gradcam`).
public struct Attribution: Sendable {
    public let name: String
    public let values: Tensor
}

/// Time spent in each stage of an explanation, for `gradcam bench` and metrics.
public struct StageTimings: Sendable, Equatable {
    public var forward: Duration = .zero
    public var backward: Duration = .zero
    public var map: Duration = .zero

    public init() {}
}
