import Imaging
import Tensor

/// Computes explanations for one prepared model. It owns an executor with its buffers:
/// use one explainer per worker thread; many explainers share one `ExplainableModel`.
public final class Explainer {
    public let model: ExplainableModel
    let executor: Executor
    /// Masked inputs per Score-CAM forward pass. Graphs that cannot run a batch (a
    /// `Reshape` to a fixed batch of 1, say) fall back to 1 after the first attempt.
    public var scoreCAMBatchSize = 16
    /// Whether `explain(batch:method:layers:)` stacks its images into one pass. Graphs that
    /// cannot run a batch turn it off after the first attempt (see `Explainer+Batch.swift`).
    public internal(set) var runsBatches = true
    private let clock = ContinuousClock()

    public init(model: ExplainableModel, threads: Int = 1) {
        self.model = model
        executor = Executor(graph: model.graph, threads: threads)
    }

    /// Forward passes run so far (one per `explain` or `predict`, plus Score-CAM's batches).
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

    /// Explains `input` (`model.inputShape`, preprocessed) for `classes` (nil: the top-1 class)
    /// at `layers` (fused when several; ignored by guided backpropagation), with one
    /// forward pass and at most one backward pass per rectifier rule.
    public func explain(_ input: Tensor, method: Method, classes requested: [Int]?, layers: [Layer]) throws -> Explanation {
        try checkInput(input)
        guard !layers.isEmpty || !method.usesLayer else {
            throw ExplainError.internalInconsistency("no layer given for \(method.rawValue)")
        }
        var timings = StageTimings()
        let layerValues = Set(layers.map(\.value))
        let camHead = method == .cam ? try ClassActivationHead(model: model, layers: layers) : nil

        // Plans first: the forward pass keeps exactly what their VJPs read.
        var layerPlan: BackwardPlan?
        if method.needsLayerGradients {
            layerPlan = try BackwardPlan(graph: model.graph, from: model.logits, to: layerValues)
        } else if let camHead {
            layerPlan = camHead.plan
        }
        let guidedPlan = method.isGuided
            ? try BackwardPlan(graph: model.graph, from: model.logits, to: [model.input], rule: .guided) : nil

        var start = clock.now
        let results = try executor.forward(
            [model.input: input], keep: method.usesLayer ? layerValues : [],
            preparing: [layerPlan, guidedPlan].compactMap { $0 })
        let logits = try results.tensor(model.logits).floats
        // Channels-last layers are read as [1, C, H, W]: the methods below see one layout.
        let activations = try layers.map { try LayerActivations($0.layout.nchw(results.tensor($0.value)), layer: $0.name) }
        timings.forward = clock.now - start

        let classes = try resolve(requested, logits: logits)
        let seed = oneHot(classes)
        start = clock.now
        let layerGradients = try layerPlan.map { try executor.backward($0, seed: seed) }
        let inputGradients = try guidedPlan.map { try model.inputLayout.nchw(executor.backward($0, seed: seed).tensor(model.input)) }
        timings.backward = clock.now - start

        start = clock.now
        let forwardBeforeMaps = timings.forward  // Score-CAM's masked forward passes count as forward
        var maps: [[Heatmap]] = []  // [layer][class]
        if method.usesLayer {
            for (layer, a) in zip(layers, activations) {
                let raw: RawMaps
                switch method {
                case .eigencam:
                    let projection = EigenProjection.map(a)
                    raw = RawMaps(count: classes.count, height: a.height, width: a.width,
                                  values: Array(Array(repeating: projection.values, count: classes.count).joined()))
                case .scorecam:
                    raw = a.weightedSum(try scoreCAMWeights(a, input: input, classes: classes, timings: &timings))
                case .cam:
                    raw = a.weightedSum(camHead!.weights(from: try layerGradients!.tensor(camHead!.pooled)))
                default:
                    raw = try GradientMethods.maps(method, activations: a, gradients: layer.layout.nchw(layerGradients!.tensor(layer.value)))
                }
                maps.append((0..<classes.count).map { Heatmap(raw: raw.plane($0), width: raw.width, height: raw.height) })
            }
        }
        var explanations: [ClassExplanation] = []
        for (k, cls) in classes.enumerated() {
            let guided = inputGradients.map { guidedGradient($0, replica: k) }
            var heatmap = maps.isEmpty ? nil : Heatmap.fused(maps.map { $0[k] })
            var product: Tensor?
            if method == .guidedGradcam, let guided, let cam = heatmap {
                product = Self.multiply(guided, by: cam)
            } else if method == .guidedBackprop, let guided {
                heatmap = Self.saliency(guided)
            }
            explanations.append(ClassExplanation(classIndex: cls, heatmap: heatmap!, guidedGradient: guided, guidedGradCAM: product))
        }
        timings.map = clock.now - start - (timings.forward - forwardBeforeMaps)
        return Explanation(logits: logits, classes: explanations, timings: timings)
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

    private func resolve(_ requested: [Int]?, logits: [Float]) throws -> [Int] {
        guard let requested, !requested.isEmpty else {
            return [logits.indices.max { logits[$0] < logits[$1] } ?? 0]
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

    private func guidedGradient(_ gradients: Tensor, replica k: Int) -> Tensor {
        let size = gradients.count / gradients.shape[0]
        return Tensor(shape: Array(gradients.shape.dropFirst()), floats: Array(gradients.floats[k * size ..< (k + 1) * size]))
    }

    private func scoreCAMWeights(
        _ a: LayerActivations, input: Tensor, classes: [Int], timings: inout StageTimings
    ) throws -> [Float] {
        let start = clock.now
        defer { timings.forward += clock.now - start }
        // Masks are applied to the [1, C, H, W] input; batches go back to the model's layout.
        let layout = model.inputLayout
        let logits = { (batch: Tensor) throws -> [Float] in
            try self.executor.forward([self.model.input: layout.fromNCHW(batch)]).tensor(self.model.logits).floats
        }
        let planar = layout.nchw(input)
        do {
            return try ScoreCAM.weights(activations: a, input: planar, classes: classes, batchSize: scoreCAMBatchSize, score: logits)
        } catch is EngineError where scoreCAMBatchSize > 1 {
            scoreCAMBatchSize = 1
            return try ScoreCAM.weights(activations: a, input: planar, classes: classes, batchSize: 1, score: logits)
        }
    }

    /// Guided Grad-CAM: each channel of the guided gradient `[3, H, W]` times the class map
    /// upsampled (bilinear) to `H x W`.
    static func multiply(_ guided: Tensor, by map: Heatmap) -> Tensor {
        let height = guided.shape[1], width = guided.shape[2]
        let mask = map.upsampled(width: width, height: height).values
        var product = guided
        for c in 0..<guided.shape[0] {
            for i in 0..<height * width { product.floats[c * height * width + i] *= mask[i] }
        }
        return product
    }

    /// The saliency of a guided gradient `[3, H, W]`: `max_c |g_c|` per pixel, normalized.
    static func saliency(_ guided: Tensor) -> Heatmap {
        let channels = guided.shape[0], height = guided.shape[1], width = guided.shape[2]
        let plane = height * width
        let values = (0..<plane).map { i in (0..<channels).reduce(Float(0)) { max($0, abs(guided.floats[$1 * plane + i])) } }
        return Heatmap(raw: values, width: width, height: height)
    }
}
