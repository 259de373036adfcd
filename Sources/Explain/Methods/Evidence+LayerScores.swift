import Tensor

extension Evidence {
    /// The explained classes' scores of `count` variants of `layer`'s activations `A [C, h, w]`,
    /// each run forward from the layer (`Explainer.scores(from:activations:)`): `[K, count]`,
    /// row `k` for `classes[k]`. Counted as forward time.
    ///
    /// `variant(i, values)` turns `values` (a fresh copy of `A`, `C·h·w` floats) into variant
    /// `i` and returns whether it changed anything: a variant equal to `A` takes the scores of
    /// the explained forward pass (`logits`) and costs no pass.
    func layerScores(_ layer: LayerEvidence, count: Int,
                     variant: (_ index: Int, _ values: UnsafeMutableBufferPointer<Float>) -> Bool) throws -> [Float] {
        let a = layer.activations
        let size = a.channels * a.plane
        var scores = [Float](repeating: 0, count: classes.count * count)
        var batch: [Float] = []
        var slots: [Int] = []

        func flush() throws {
            guard !slots.isEmpty else { return }
            let rows = Tensor(shape: [slots.count, a.channels, a.height, a.width], floats: batch)
            let logits = try explainer.timedPass { try explainer.scores(from: layer.layer, activations: rows) }
            let classCount = logits.count / slots.count
            for (b, i) in slots.enumerated() {
                for (k, cls) in classes.enumerated() { scores[k * count + i] = logits[b * classCount + cls] }
            }
            slots.removeAll(keepingCapacity: true)
            batch.removeAll(keepingCapacity: true)
        }

        let batchSize = explainer.layerBatchSize(layer.layer)
        var values = a.values
        for i in 0..<count {
            values.withUnsafeMutableBufferPointer { v in
                a.values.withUnsafeBufferPointer { v.baseAddress!.update(from: $0.baseAddress!, count: size) }
            }
            let changed = values.withUnsafeMutableBufferPointer { variant(i, $0) }
            guard changed else {
                for (k, cls) in classes.enumerated() { scores[k * count + i] = logits[cls] }
                continue
            }
            batch += values
            slots.append(i)
            if slots.count == batchSize { try flush() }
        }
        try flush()
        return scores
    }
}
