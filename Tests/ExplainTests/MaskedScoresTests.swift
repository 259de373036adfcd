import Testing
import Tensor
@testable import Explain

/// `Evidence.maskedInputScores`: batched scores of masked inputs equal the model's scores of
/// each input alone, and all-zero masks share one pass.
@Suite struct MaskedScoresTests {
    func setup() throws -> (Explainer, Evidence) {
        let (model, input) = try References.model(References.records(kind: "cam").first { $0.case == "alexnet_small" }!)
        let explainer = Explainer(model: model)
        let logits = try explainer.predict(input)
        let evidence = Evidence(classes: [3, 0], logits: logits, input: input, layers: [], inputGradients: [:],
                                classHeadWeights: nil, explainer: explainer, parameters: MethodParameters())
        return (explainer, evidence)
    }

    /// Mask `i`: all zero when `i` is a multiple of 3, else a ramp that depends on `i`.
    func mask(_ i: Int, _ plane: UnsafeMutableBufferPointer<Float>) {
        guard i % 3 != 0 else { return }
        for p in plane.indices { plane[p] = Float((p * (i + 1)) % 17) / 16 }
    }

    @Test(arguments: [1, 4, 32])
    func scoresEqualEachInputScoredAlone(batchSize: Int) throws {
        let (explainer, evidence) = try setup()
        explainer.scoreBatchSize = batchSize
        let count = 10
        let before = explainer.forwardCount
        let scores = try evidence.maskedInputScores(count: count, mask: mask)
        // Six non-zero masks and one shared all-zero input, in batches.
        #expect(explainer.forwardCount - before == (7 + batchSize - 1) / batchSize)

        let x = evidence.input, pixels = x.shape[2] * x.shape[3]
        for i in 0..<count {
            var plane = [Float](repeating: 0, count: pixels)
            plane.withUnsafeMutableBufferPointer { mask(i, $0) }
            let masked = Tensor(shape: x.shape, floats: x.floats.indices.map { x.floats[$0] * plane[$0 % pixels] })
            let alone = try explainer.predict(masked)
            for (k, cls) in evidence.classes.enumerated() {
                let ours = scores[k * count + i]
                #expect(abs(ours - alone[cls]) <= 1e-4 * max(1, abs(alone[cls])), "mask \(i), class \(cls): \(ours) vs \(alone[cls])")
            }
        }
    }

    /// The batch a worker runs stays inside the budget (or is a single input).
    @Test func batchSizeFitsTheBudget() throws {
        for name in ["alexnet_small", "vgg16_small"] {
            let (model, _) = try References.model(References.records(kind: "cam").first { $0.case == name }!)
            let size = Explainer(model: model).scoreBatchSize
            let largest = model.shapes.compactMap { $0?.reduce(1, *) }.max()!
            #expect((1...Explainer.maximumScoreBatch).contains(size))
            #expect(size == 1 || size * 2 * 4 * largest <= Explainer.scoreBatchBudget)
        }
    }
}
