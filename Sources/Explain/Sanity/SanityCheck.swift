import Tensor

/// Adebayo et al.'s model-parameter randomization test ("Sanity Checks for Saliency Maps",
/// 2018), cascading: step k redraws the parameters of the k layers nearest the scores
/// (`ParameterizedLayer.cascade`), keeping those below, and compares each method's map of the
/// randomized network with the original's, for the class the original model was explained
/// for. A method whose map barely changes once every layer is random does not depend on what
/// the model learned.
public struct SanityCheck {
    /// The network with some of its parameters replaced (by name): made by the caller, which
    /// knows how to rebuild a graph from its weights (the ONNX importer).
    public typealias Rebuild = (_ replacements: [String: Tensor]) throws -> ExplainableModel

    public let model: ExplainableModel
    public let methods: [Method]
    /// Layer names (looked up again in each randomized network); ignored by guided backpropagation.
    public let layers: [String]
    public let seed: UInt64
    public let threads: Int
    /// Checked before every node of every pass, and between steps.
    public var cancellation: Cancellation?
    /// Keep every step's maps in the result (for pictures); off, only the similarities are kept.
    public var keepMaps = false

    public init(model: ExplainableModel, methods: [Method], layers: [String], seed: UInt64, threads: Int = 1) {
        self.model = model
        self.methods = methods
        self.layers = layers
        self.seed = seed
        self.threads = threads
    }

    /// One step of the cascade.
    public struct Step: Sendable {
        /// The layer randomized at this step (nil for the original network, step 0).
        public let layer: ParameterizedLayer?
        /// Per method (in `methods` order): the similarity to the original map.
        public let similarities: [Similarities]
        /// Per method, when `keepMaps`: this step's map.
        public let maps: [ComparedMap]
    }

    public struct Result: Sendable {
        /// The original network's scores.
        public let logits: [Float]
        public let classIndex: Int
        /// Step 0 (the original network, compared with itself) then one per layer, top first.
        public let steps: [Step]
    }

    /// Runs the cascade on `input` (`[1, C, H, W]`, preprocessed) for `requested` (nil: the
    /// original network's top-1 class). `rebuild` is called once per layer; `stepDone` after
    /// each step (with the step's index), for progress and for writing the step's network.
    public func run(
        _ input: Tensor, class requested: Int?, rebuild: Rebuild,
        stepDone: (_ index: Int, _ replacements: [String: Tensor]) throws -> Void = { _, _ in }
    ) throws -> Result {
        let cascade = ParameterizedLayer.cascade(of: model)
        guard !cascade.isEmpty else {
            throw ExplainError.unsupportedModel("no layer with constant weights (Conv, Gemm, MatMul, BatchNormalization) leads to the scores")
        }
        let original = try maps(of: model, input, class: requested)
        let reference = original.maps
        var steps = [Step(layer: nil, similarities: reference.map { Similarities($0, $0) }, maps: keepMaps ? reference : [])]
        try stepDone(0, [:])
        var replacements: [String: Tensor] = [:]
        for (position, layer) in cascade.enumerated() {
            try cancellation?.check()
            replacements.merge(layer.randomized(seed: seed, position: position)) { _, new in new }
            let randomized = try maps(of: try rebuild(replacements), input, class: original.classIndex)
            steps.append(Step(layer: layer, similarities: zip(reference, randomized.maps).map { Similarities($0, $1) },
                              maps: keepMaps ? randomized.maps : []))
            try stepDone(position + 1, replacements)
        }
        return Result(logits: original.logits, classIndex: original.classIndex, steps: steps)
    }

    /// Each method's map of `network` for one class (the top-1 when nil), that class and the scores.
    private func maps(
        of network: ExplainableModel, _ input: Tensor, class requested: Int?
    ) throws -> (classIndex: Int, maps: [ComparedMap], logits: [Float]) {
        let explainer = Explainer(model: network, threads: threads)
        explainer.cancellation = cancellation
        let resolvedLayers = try layers.map { try network.layer(named: $0) }
        let explanations = try explainer.explain(input, methods: methods, classes: requested.map { [$0] }, layers: resolvedLayers)
        let maps = explanations.map {
            ComparedMap($0.classes[0], width: network.inputShape[3], height: network.inputShape[2])
        }
        let classIndex: Int? = explanations.first?.classes[0].classIndex
        let logits = explanations.first?.logits ?? []
        return (classIndex ?? 0, maps, logits)
    }
}
