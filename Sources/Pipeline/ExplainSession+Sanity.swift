import Explain
import Models
import Tensor

extension ExplainSession {
    /// The result of `sanity`.
    public struct SanityOutput: Sendable {
        public var document: SanityDocument
        /// Per step, per method (in the options' order): the compared maps, when `keepMaps`.
        public var maps: [[ComparedMap]]
        /// The preprocessed input every step explained, `[1, C, H, W]`.
        public var input: Tensor
        public var timings: PipelineTimings
    }

    /// Adebayo et al.'s cascading randomization of `model`'s weights on an encoded image (see
    /// `SanityCheck`). `stepDone` is called after each step with the weights replaced so far.
    public func sanity(
        _ bytes: [UInt8], model: LoadedModel, options: SanityOptions, keepMaps: Bool = false,
        stepDone: (_ step: Int, _ replacements: [String: Tensor]) throws -> Void = { _, _ in }
    ) throws -> SanityOutput {
        try options.validate()
        var timings = PipelineTimings()
        let (_, original, input) = try prepare(.encoded(bytes), model: model, renderSide: nil, timings: &timings)
        let layers = options.layers.isEmpty ? [model.defaultLayer] : try options.layers.map { try model.layer(named: $0) }
        let requested = try ClassSelector.resolve(options.classes, labels: model.labels, model: model.name).first
        let weights = try model.weights()
        try cancellation?.check()

        var check = SanityCheck(model: model.explainable, methods: options.methods, layers: layers.map(\.name),
                                seed: options.seed, threads: threads)
        check.cancellation = cancellation
        check.keepMaps = keepMaps
        let start = ContinuousClock.now
        let result = try check.run(input, class: requested, rebuild: weights.explainable(replacing:), stepDone: stepDone)
        timings.map = ContinuousClock.now - start

        let c = result.classIndex
        let scores = model.scores.scores(result.logits)
        let usesLayer = options.methods.contains(where: \.usesLayer)
        let document = SanityDocument(
            model: model.name,
            layer: usesLayer ? layers.map(\.name).joined(separator: ",") : model.explainable.graph.name(of: model.explainable.input),
            image: ImageSize(width: original.width, height: original.height),
            class: Prediction(classIndex: c, label: model.labels[c], score: scores[c], logit: result.logits[c]),
            seed: options.seed, initialization: SanityDocument.initialization, rule: SanityDocument.rule,
            steps: result.steps.enumerated().map { SanityStep(step: $0.offset, layer: $0.element.layer?.node, op: $0.element.layer?.op) },
            methods: options.methods.enumerated().map { k, method in
                let curve = result.steps.map { $0.similarities[k] }
                return SanityCurve(method: method.name, verdict: SanityVerdict(curve: curve).rawValue,
                                   meanSpearmanAbs: SanityVerdict.meanCorrelation(curve) ?? 0, curve: curve)
            })
        return SanityOutput(document: document, maps: result.steps.map(\.maps), input: input, timings: timings)
    }
}
