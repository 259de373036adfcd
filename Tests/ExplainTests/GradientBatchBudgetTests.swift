import Testing
import Tensor
@testable import Explain

/// Many-pass gradient methods batch their inputs under `Explainer.scoreBatchBudget` counting
/// what a gradient pass holds until its backward pass ends, not only a scoring pass's two
/// largest values.
@Suite struct GradientBatchBudgetTests {
    /// `x [1, 1, 1024, 1024]` → three ReLUs → global average pool → flatten: one class.
    /// Every value holds 2^20 floats (4 MiB).
    private func reluChain() throws -> ExplainableModel {
        var graph = Graph()
        let x = graph.addValue(named: "x")
        graph.inputs = [x]
        var last = x
        for name in ["r1", "r2", "r3"] {
            let out = graph.addValue(named: name)
            graph.append(Node(name: name, op: Relu(), inputs: [last], outputs: [out]))
            last = out
        }
        let pooled = graph.addValue(named: "pooled"), logits = graph.addValue(named: "logits")
        graph.append(Node(name: "pool", op: GlobalAveragePool(), inputs: [last], outputs: [pooled]))
        graph.append(Node(name: "flatten", op: Flatten(), inputs: [pooled], outputs: [logits]))
        graph.outputs = [logits]
        return try ExplainableModel(graph: graph, inputShape: [1, 1, 1024, 1024])
    }

    /// Input gradients: the three ReLU outputs are kept for the backward pass (ReLU's VJP reads
    /// its output), 12 MiB, besides about two 4 MiB values at once: 20 MiB per input, so 12 fit
    /// in 256 MiB where a scoring pass (8 MiB per input) takes 32. Integrated gradients' 25
    /// points then run as 3 passes (12, 12, 1) after the explained one.
    @Test func inputGradientBatchesCountWhatTheBackwardPassKeeps() throws {
        let model = try reluChain()
        let explainer = Explainer(model: model)
        #expect(explainer.scoreBatchSize == 32)
        #expect(try explainer.inputGradientBatchSize(rule: .standard) == 12)
        var parameters = MethodParameters()
        parameters.steps = 25
        let input = Tensor(shape: [1, 1, 1024, 1024], floats: (0..<(1 << 20)).map { Float($0 % 7) - 3 })
        _ = try explainer.explain(input, method: .integratedGradients, classes: [0], layers: [], parameters: parameters)
        #expect(explainer.forwardCount == 1 + 3)
    }

    /// Layer evidence at `r2`: the pass keeps `r2` and the backward pass `r3` (8 MiB), besides
    /// two 4 MiB values: 16 MiB per input, 16 per pass; SmoothGradCAM++'s 20 samples run as 2.
    @Test func layerEvidenceBatchesCountTheKeptLayer() throws {
        let model = try reluChain()
        let explainer = Explainer(model: model)
        let layer = try model.layer(named: "r2")
        #expect(try explainer.layerEvidenceBatchSize(layers: [layer]) == 16)
        var parameters = MethodParameters()
        parameters.samples = 20
        let input = Tensor(shape: [1, 1, 1024, 1024], floats: (0..<(1 << 20)).map { Float($0 % 5) - 1 })
        _ = try explainer.explain(input, method: .smoothgradcamPlusPlus, classes: [0], layers: [layer], parameters: parameters)
        #expect(explainer.forwardCount == 1 + 2)
    }

    /// A graph that cannot batch keeps its batch of 1 for gradient passes too.
    @Test func aGraphThatCannotBatchStaysAtOne() throws {
        let explainer = Explainer(model: try reluChain())
        explainer.scoreBatchSize = 1
        #expect(try explainer.inputGradientBatchSize(rule: .standard) == 1)
    }
}
