import Imaging
import Tensor

/// Computes explanations for one prepared model. It owns an executor with its buffers:
/// use one explainer per worker thread; many explainers share one `ExplainableModel`.
public final class Explainer {
    public let model: ExplainableModel
    let executor: Executor
    /// Inputs per forward pass when a method scores other inputs (Score-CAM's masked
    /// inputs), from a memory budget (`Explainer+ScoreBatch.swift`). Graphs that cannot run a
    /// batch fall back to 1 after the first attempt.
    public var scoreBatchSize: Int
    /// Whether `explain(batch:method:layers:)` stacks its images into one pass. Graphs that
    /// cannot run a batch turn it off after the first attempt (see `Explainer+Batch.swift`).
    public internal(set) var runsBatches = true
    private let clock = ContinuousClock()
    /// Time spent in the passes methods run themselves (`timedPass`), counted as forward time.
    private var methodPassTime = Duration.zero
    /// `forwardCount` right after the explained forward pass (`Explainer+TargetGradients.swift`).
    var explainedPass = -1

    public init(model: ExplainableModel, threads: Int = 1) {
        self.model = model
        executor = Executor(graph: model.graph, threads: threads)
        scoreBatchSize = Self.scoreBatchSize(for: model)
    }

    /// Forward passes run so far (one per `explain` or `predict`, plus the batches methods score).
    public var forwardCount: Int { executor.forwardCount }
    /// Backward passes run so far (several classes share one).
    public var backwardCount: Int { executor.backwardCount }
    /// Floats held in this explainer's buffers.
    public var heldFloats: Int { executor.heldFloats }
    /// When the current request must stop: checked before every node of every pass (Score-CAM's
    /// batches of masked passes included), so `explain` and `predict` throw
    /// `Cancellation.Stopped` within one node's time of a deadline or a cancel.
    public var cancellation: Cancellation? {
        get { executor.cancellation }
        set { executor.cancellation = newValue }
    }

    /// When set, the time of every node of every pass is added to it.
    public var profile: OperatorProfile? {
        get { executor.profile }
        set { executor.profile = newValue }
    }

    /// The scores for one preprocessed image (`model.inputShape`: `[1, C, H, W]` or `[1, H, W, C]`).
    public func predict(_ input: Tensor) throws -> [Float] {
        try checkInput(input)
        return try executor.forward([model.input: input]).tensor(model.logits).floats
    }

    /// Explains `input` (`model.inputShape`, preprocessed) for `classes` (nil or empty: the
    /// `topClasses` classes of largest logit, most likely first) with `method` at `layers` (fused
    /// when several; ignored by methods without a layer).
    public func explain(_ input: Tensor, method: Method, classes requested: [Int]?, topClasses: Int = 1, layers: [Layer],
                        parameters: MethodParameters = MethodParameters()) throws -> Explanation {
        try explain(input, methods: [method], classes: requested, topClasses: topClasses, layers: layers,
                    parameters: parameters)[0]
    }

    /// Explains `input` with each of `methods`, from one forward pass and one backward pass
    /// per kind of gradient their needs ask for (`MethodNeeds.union`): one explanation per
    /// method, in order. Each carries the shared passes' timings and its own map time.
    /// With `aug_smooth`, the methods that honour it average their maps over augmented inputs
    /// (`Explainer+AugmentationSmoothing.swift`).
    public func explain(_ input: Tensor, methods: [Method], classes requested: [Int]?, topClasses: Int = 1, layers: [Layer],
                        parameters: MethodParameters = MethodParameters()) throws -> [Explanation] {
        let plain = try explainPasses(input, methods: methods, classes: requested, topClasses: topClasses, layers: layers,
                                      parameters: parameters)
        guard parameters.augSmooth else { return plain }
        return try augmentationSmoothed(plain, input: input, methods: methods, layers: layers, parameters: parameters)
    }

    /// `explain` of one input, without augmentation smoothing.
    func explainPasses(_ input: Tensor, methods: [Method], classes requested: [Int]?, topClasses: Int = 1, layers: [Layer],
                       parameters: MethodParameters) throws -> [Explanation] {
        try checkInput(input)
        let needs = methods.reduce(MethodNeeds()) { $0.union($1.needs) }
        guard !layers.isEmpty || !needs.usesLayer else {
            throw ExplainError.internalInconsistency("no layer given for \(methods.map(\.name).joined(separator: ", "))")
        }
        let usedLayers = needs.usesLayer ? layers : []
        var timings = StageTimings()
        let layerValues = Set(usedLayers.map(\.value))
        let camHead = needs.classHead ? try ClassActivationHead(model: model, layers: usedLayers) : nil

        // Plans first: the forward pass keeps exactly what their VJPs read.
        var layerTargets: Set<ValueID> = needs.layerGradients || needs.targetGradients ? layerValues : []
        if let camHead { layerTargets.insert(camHead.pooled) }
        let layerPlan = layerTargets.isEmpty ? nil : try BackwardPlan(graph: model.graph, from: model.logits, to: layerTargets)
        let biasLayers = needs.biasGradients ? try BiasLayer.all(in: model) : []
        let inputPlans = try needs.inputGradients.sorted { "\($0)" < "\($1)" }.map { rule in
            // The bias layers' gradients come from the standard pass on the way to the input.
            try BackwardPlan(graph: model.graph, from: model.logits,
                             to: Set([model.input]).union(rule == .standard ? biasLayers.map(\.layer.value) : []), rule: rule)
        }

        var start = clock.now
        let results = try executor.forward(
            [model.input: input], keep: needs.layerActivations ? layerValues : [],
            preparing: ([layerPlan] + inputPlans).compactMap { $0 })
        let logits = try results.tensor(model.logits).floats
        explainedPass = executor.forwardCount
        // Channels-last layers are read as [1, C, H, W]: the methods see one layout.
        let activations = needs.layerActivations
            ? try usedLayers.map { try LayerActivations($0.layout.nchw(results.tensor($0.value)), layer: $0.name) } : []
        timings.forward = clock.now - start

        let classes = try resolve(requested, top: topClasses, logits: logits)
        let seed = oneHot(classes)
        start = clock.now
        let layerGradients = try layerPlan.map { try executor.backward($0, seed: seed) }
        var inputGradients: [RectifierRule: Tensor] = [:]
        var biasGradients: [BiasGradient] = []
        for plan in inputPlans {
            let gradients = try executor.backward(plan, seed: seed)
            inputGradients[plan.rule] = try model.inputLayout.nchw(gradients.tensor(model.input))
            if plan.rule == .standard { biasGradients = try biasLayers.map { try BiasGradient($0, gradients) } }
        }
        timings.backward = clock.now - start

        var evidenceLayers: [LayerEvidence] = []
        for (index, layer) in usedLayers.enumerated() where needs.layerActivations {
            let gradients = needs.layerGradients ? try layer.layout.nchw(layerGradients!.tensor(layer.value)) : nil
            evidenceLayers.append(try LayerEvidence(layer: layer, activations: activations[index], gradients: gradients))
        }
        let evidence = Evidence(
            classes: classes, logits: logits, input: model.inputLayout.nchw(input), layers: evidenceLayers,
            inputGradients: inputGradients,
            classHeadWeights: try camHead.map { $0.weights(from: try layerGradients!.tensor($0.pooled)) },
            explainer: self,
            parameters: parameters, biasGradients: biasGradients)
        return try methods.map { method in
            methodPassTime = .zero
            let start = clock.now
            let explained = try method.implementation.explain(evidence)
            var own = timings
            own.forward += methodPassTime
            own.map = clock.now - start - methodPassTime
            return Explanation(logits: logits, classes: explained, timings: own,
                               parameters: method.reportedParameters(parameters, model: model, layers: usedLayers))
        }
    }

    /// A value the last forward pass kept (a layer's activations).
    func layerValue(_ layer: Layer) throws -> Tensor {
        try executor.value(layer.value)
    }

    private func checkInput(_ input: Tensor) throws {
        guard input.shape == model.inputShape, input.elementType == .float32 else {
            throw ExplainError.internalInconsistency("input of shape \(input.shape); the model takes \(model.inputShape)")
        }
    }

    /// `requested`, checked; nil or empty: the `top` classes of largest logit (at most all),
    /// most likely first, ties by index.
    private func resolve(_ requested: [Int]?, top: Int, logits: [Float]) throws -> [Int] {
        guard let requested, !requested.isEmpty else {
            guard top > 1 else { return [logits.indices.max { logits[$0] < logits[$1] } ?? 0] }
            return Array(logits.indices.sorted { logits[$0] > logits[$1] || logits[$0] == logits[$1] && $0 < $1 }.prefix(top))
        }
        for cls in requested where !(0..<model.classCount).contains(cls) {
            throw ExplainError.classOutOfRange(cls, classCount: model.classCount)
        }
        return requested
    }

    /// `[K, classes]` with a 1 at each requested class: the seed of one batched backward pass.
    private func oneHot(_ classes: [Int]) -> Tensor {
        var seed = Tensor.zeros([classes.count, model.classCount])
        for (k, cls) in classes.enumerated() { seed.floats[k * model.classCount + cls] = 1 }
        return seed.reshaped([classes.count] + model.shapes[model.logits.index]!.dropFirst())
    }

    /// Runs `body` (passes a method asks for), adding its time to the method's forward time.
    func timedPass<T>(_ body: () throws -> T) rethrows -> T {
        let start = clock.now
        defer { methodPassTime += clock.now - start }
        return try body()
    }

    /// The logits `[B, classes]` (flattened) of a batch of channels-first inputs `[B, C, H, W]`,
    /// converted to the model's layout. A graph that cannot run a batch (a `Reshape` to a
    /// fixed batch of 1, say) scores the rows one at a time, now and from then on.
    func scores(_ batch: Tensor) throws -> [Float] {
        let layout = model.inputLayout
        let run = { (inputs: Tensor) throws -> [Float] in
            try self.executor.forward([self.model.input: layout.fromNCHW(inputs)]).tensor(self.model.logits).floats
        }
        let count = batch.shape[0]
        if count > 1 && scoreBatchSize > 1 {
            do {
                return try run(batch)
            } catch is EngineError {
                scoreBatchSize = 1
            }
        }
        let size = batch.count / max(count, 1)
        var logits: [Float] = []
        for row in 0..<count {
            logits += try run(Tensor(shape: [1] + batch.shape.dropFirst(), floats: Array(batch.floats[row * size ..< (row + 1) * size])))
        }
        return logits
    }
}
