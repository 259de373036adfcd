import Tensor

extension Explainer {
    /// One image of a batch: its preprocessed input `[1, C, H, W]` and the class to explain
    /// (nil: its own top-1 class).
    public struct BatchItem: Sendable {
        public var input: Tensor
        public var classIndex: Int?

        public init(input: Tensor, classIndex: Int?) {
            self.input = input
            self.classIndex = classIndex
        }
    }

    /// Explains `N` images with a batchable `method` (`Method.isBatchable`) at `layers` in
    /// one forward pass of `X [N, C, H, W]` (the items stacked along dimension 0) and one
    /// backward pass whose seed `[N, classes]` has row `n` one-hot at item `n`'s class, so
    /// the gradient row `n` at a layer is `∂S_{c_n}(x_n) / ∂A(x_n)`: each image with its own
    /// class, exactly what `explain` computes for it alone, up to the float rounding of
    /// batched products.
    ///
    /// Returns one result per item, in order. An item that cannot be explained (a class out
    /// of range, an input of another shape) fails alone; the others are computed without it.
    /// A graph that cannot run a batch (a `Reshape` to a fixed batch of 1, say: the forward
    /// pass throws, or its scores are not `[N, classes]`) explains the items one at a time,
    /// now and from then on (`runsBatches`). Each explanation's timings are the batch's.
    /// With `aug_smooth` the items are explained one at a time (each its six augmented passes).
    /// Throws `Cancellation.Stopped` when the batch must stop.
    public func explain(batch items: [BatchItem], method: Method, layers: [Layer],
                        parameters: MethodParameters = MethodParameters()) throws -> [Result<Explanation, any Error>] {
        guard method.isBatchable, !layers.isEmpty else {
            throw ExplainError.internalInconsistency("\(method.name) at \(layers.count) layers cannot be batched")
        }
        var results = [Result<Explanation, any Error>?](repeating: nil, count: items.count)
        var members: [Int] = []
        for (index, item) in items.enumerated() {
            if item.input.shape != model.inputShape || item.input.elementType != .float32 {
                results[index] = .failure(ExplainError.internalInconsistency("input of shape \(item.input.shape); the model takes \(model.inputShape)"))
            } else if let cls = item.classIndex, !(0..<model.classCount).contains(cls) {
                results[index] = .failure(ExplainError.classOutOfRange(cls, classCount: model.classCount))
            } else {
                members.append(index)
            }
        }
        let batched = members.count > 1 && runsBatches && !parameters.augSmooth ? try stacked(members.map { items[$0] }, method: method, layers: layers, parameters: parameters) : nil
        for (position, index) in members.enumerated() {
            if let batched {
                results[index] = .success(batched[position])
            } else {
                let item = items[index]
                do {
                    results[index] = .success(try explain(item.input, method: method, classes: item.classIndex.map { [$0] }, layers: layers,
                                                          parameters: parameters))
                } catch let stopped as Cancellation.Stopped {
                    throw stopped
                } catch {
                    results[index] = .failure(error)
                }
            }
        }
        return results.map { $0! }
    }

    /// The batched passes for valid `items` (two or more), or nil when the graph cannot run
    /// a batch (then `runsBatches` is turned off).
    private func stacked(_ items: [BatchItem], method: Method, layers: [Layer], parameters: MethodParameters) throws -> [Explanation]? {
        let n = items.count
        let clock = ContinuousClock()
        var timings = StageTimings()
        let layerValues = Set(layers.map(\.value))
        let needs = method.needs
        let plan = needs.layerGradients ? try BackwardPlan(graph: model.graph, from: model.logits, to: layerValues) : nil
        let batch = Tensor(shape: [n] + model.inputShape.dropFirst(), floats: Array(items.map(\.input.floats).joined()))

        var start = clock.now
        let logits: [Float]
        let activations: [Tensor]
        do {
            let results = try executor.forward([model.input: batch], keep: layerValues, preparing: plan.map { [$0] } ?? [])
            let scores = try results.tensor(model.logits)
            activations = try layers.map { try $0.layout.nchw(results.tensor($0.value)) }
            guard scores.shape.first == n, scores.count == n * model.classCount,
                  activations.allSatisfy({ $0.rank == 4 && $0.shape[0] == n }) else {
                runsBatches = false
                return nil
            }
            logits = scores.floats
        } catch is EngineError {
            runsBatches = false
            return nil
        }
        timings.forward = clock.now - start

        let classCount = model.classCount
        let classes = items.enumerated().map { n, item in
            item.classIndex ?? (0..<classCount).max { logits[n * classCount + $0] < logits[n * classCount + $1] }!
        }
        var seed = Tensor.zeros([n, classCount])
        for (row, cls) in classes.enumerated() { seed.floats[row * classCount + cls] = 1 }
        start = clock.now
        let gradients = try plan.map { try executor.backward($0, seed: seed.reshaped([n] + model.shapes[model.logits.index]!.dropFirst())) }
        let layerGradients = try layers.map { layer in try gradients.map { try layer.layout.nchw($0.tensor(layer.value)) } }
        timings.backward = clock.now - start

        start = clock.now
        var explained: [ClassExplanation] = []
        for row in 0..<n {
            let evidenceLayers = try layers.indices.map { i in
                try LayerEvidence(layer: layers[i], activations: LayerActivations(Self.row(row, of: activations[i]), layer: layers[i].name),
                                  gradients: layerGradients[i].map { Self.row(row, of: $0) })
            }
            let evidence = Evidence(
                classes: [classes[row]], logits: Array(logits[row * classCount ..< (row + 1) * classCount]),
                input: model.inputLayout.nchw(items[row].input), layers: evidenceLayers, inputGradients: [:], classHeadWeights: nil,
                explainer: self,
                parameters: parameters)
            explained += try method.implementation.explain(evidence)
        }
        timings.map = clock.now - start
        return (0..<n).map { row in
            Explanation(logits: Array(logits[row * classCount ..< (row + 1) * classCount]), classes: [explained[row]], timings: timings,
                        parameters: method.reportedParameters(parameters, model: model, layers: layers))
        }
    }

    /// Row `n` of a batch `[N, ...]`, shaped `[1, ...]`.
    private static func row(_ n: Int, of batch: Tensor) -> Tensor {
        let size = batch.count / batch.shape[0]
        return Tensor(shape: [1] + batch.shape.dropFirst(), floats: Array(batch.floats[n * size ..< (n + 1) * size]))
    }
}
