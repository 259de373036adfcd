import Testing
import Tensor
@testable import Explain

/// `Explainer.layerEvidence(of:classes:layers:)`, the layer activations and class gradients of
/// other inputs (Smooth Grad-CAM++'s noisy copies): each row of a batch gets what
/// pytorch-grad-cam's fixtures hold for that input alone (A and ∂S/∂A at the layer), a batch
/// equals its rows run one at a time, and a graph that cannot batch falls back to that.
@Suite struct LayerEvidenceTests {
    /// `ours` within `1e-4 · max |expected|` of `expected` everywhere.
    private func expectClose<A: Collection, B: Collection>(_ ours: A, _ expected: B, _ what: String)
        where A.Element == Float, B.Element == Float {
        #expect(ours.count == expected.count, "\(what): \(ours.count) values, expected \(expected.count)")
        let scale = expected.map(abs).max() ?? 0
        let worst = zip(ours, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(scale > 0 && worst <= 1e-4 * scale, "\(what): max |difference| \(worst) for values up to \(scale)")
    }

    @Test(arguments: References.records(kind: "gradients"))
    func rowsAgreeWithTheReferenceAndWithOneAtATime(_ record: ReferenceRecord) throws {
        let (model, input) = try References.model(record)
        let layer = try model.layer(named: record.layerTensor!)
        let activations = try #require(References.records(kind: "activations").first { $0.case == record.case && $0.layer == record.layer })
        let other = Tensor(shape: input.shape, floats: input.floats.map { 0.5 * $0 + 0.1 })
        let batch = Tensor(shape: [3] + input.shape.dropFirst(), floats: input.floats + other.floats + input.floats)
        let classes = [record.class!, 0]
        let explainer = Explainer(model: model)
        let rows = try explainer.layerEvidence(of: batch, classes: classes, layers: [layer])
        #expect(explainer.forwardCount == 1)
        #expect(explainer.backwardCount == classes.count)
        #expect(rows.count == 3 && rows.allSatisfy { $0.count == 1 && $0[0].layer == layer })

        let a = try activations.tensor("tensor").floats, g = try record.tensor("tensor").floats
        for b in [0, 2] {
            expectClose(rows[b][0].activations.values, a, "row \(b) activations")
            expectClose(try rows[b][0].requireGradients().prefix(g.count), g, "row \(b) gradients of class \(record.class!)")
        }
        let single = Explainer(model: model)
        single.scoreBatchSize = 1
        let alone = try single.layerEvidence(of: other, classes: classes, layers: [layer])[0][0]
        expectClose(rows[1][0].activations.values, alone.activations.values, "row 1 activations")
        expectClose(try rows[1][0].requireGradients(), try alone.requireGradients(), "row 1 gradients")
    }

    /// The zoo's AlexNet reshapes to `[1, -1]`: the batch falls back to one row at a time, from
    /// then on, and gives what an explainer that never batches gives.
    @Test func aGraphThatCannotBatchRunsOneInputAtATime() throws {
        let (model, input) = try References.model(ReferenceRecord.bvlc)
        let layer = model.defaultLayer
        let batch = Tensor(shape: [2] + input.shape.dropFirst(), floats: input.floats + input.floats.map { -$0 })
        let explainer = Explainer(model: model)
        let batched = try explainer.layerEvidence(of: batch, classes: [1], layers: [layer])
        #expect(explainer.scoreBatchSize == 1)
        let single = Explainer(model: model)
        single.scoreBatchSize = 1
        let alone = try single.layerEvidence(of: batch, classes: [1], layers: [layer])
        #expect(batched.count == 2)
        for (b, a) in zip(batched, alone) {
            #expect(b[0].activations.values == a[0].activations.values)
            #expect(b[0].gradients == a[0].gradients)
        }
    }
}
