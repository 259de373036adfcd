import Tensor

extension Evidence {
    /// The explained classes' scores of `count` masked copies of the input, `x ⊙ m_i` (each
    /// mask `m_i [H, W]` broadcast over the input's `C` colour channels): `[K, count]`, row `k`
    /// for `classes[k]`.
    ///
    /// `mask(i, plane)` writes mask `i` into `plane` (`H·W` floats, zeroed before each call).
    /// The copies are scored `scoreBatchSize` at a time. Every all-zero mask gives the same
    /// input (zeros), so that input is scored once and its scores shared: a rectified layer's
    /// dead channels cost one pass between them, not one each.
    func maskedInputScores(count: Int, mask: (_ index: Int, _ plane: UnsafeMutableBufferPointer<Float>) -> Void) throws -> [Float] {
        let channels = input.shape[1], height = input.shape[2], width = input.shape[3]
        let pixels = height * width, image = channels * pixels
        let batchSize = max(scoreBatchSize, 1)
        var scores = [Float](repeating: 0, count: classes.count * count)
        var plane = [Float](repeating: 0, count: pixels)
        var batch = [Float](repeating: 0, count: batchSize * image)
        /// The mask index in each filled slot of `batch`; nil for the all-zero input.
        var slots: [Int?] = []
        var zeroMasks: [Int] = []

        func flush() throws {
            guard !slots.isEmpty else { return }
            let logits = try self.scores(Tensor(shape: [slots.count, channels, height, width],
                                                floats: Array(batch[0 ..< slots.count * image])))
            let classCount = logits.count / slots.count
            for (b, slot) in slots.enumerated() {
                for (k, cls) in classes.enumerated() {
                    for i in slot.map({ [$0] }) ?? zeroMasks { scores[k * count + i] = logits[b * classCount + cls] }
                }
            }
            slots.removeAll(keepingCapacity: true)
        }

        for i in 0..<count {
            plane.withUnsafeMutableBufferPointer { p in
                p.update(repeating: 0)
                mask(i, p)
            }
            if plane.allSatisfy({ $0 == 0 }) {
                zeroMasks.append(i)
                continue
            }
            let offset = slots.count * image
            input.floats.withUnsafeBufferPointer { x in
                batch.withUnsafeMutableBufferPointer { out in
                    for c in 0..<channels {
                        let source = c * pixels, target = offset + c * pixels
                        for p in 0..<pixels { out[target + p] = x[source + p] * plane[p] }
                    }
                }
            }
            slots.append(i)
            if slots.count == batchSize { try flush() }
        }
        if !zeroMasks.isEmpty {
            if slots.count == batchSize { try flush() }
            let offset = slots.count * image
            for j in offset ..< offset + image { batch[j] = 0 }
            slots.append(nil)
        }
        try flush()
        return scores
    }
}
