import Tensor

extension ClassActivationHead {
    /// The scores `S(z) = W·z + b` (`[classes]` each) the head gives each of `features` (`C`
    /// values each, put where the global average pool's output `z [1, C, 1, 1]` was): the head's
    /// nodes alone run forward, as a graph whose input is `z`, one feature vector at a time.
    func scores(of features: [[Float]], model: ExplainableModel) throws -> [[Float]] {
        var head = model.graph
        head.removeNodes(at: Set(head.nodes.indices).subtracting(plan.nodeIndices))
        head.inputs = [pooled]
        head.outputs = [model.logits]
        guard let shape = model.shapes[pooled.index] else {
            throw ExplainError.internalInconsistency("no shape for the pooled features '\(model.graph.name(of: pooled))'")
        }
        let executor = Executor(graph: head)
        return try features.map { z in
            guard z.count == shape.reduce(1, *) else {
                throw ExplainError.internalInconsistency("\(z.count) features for pooled features of shape \(shape)")
            }
            return try executor.forward([pooled: Tensor(shape: shape, floats: z)]).tensor(model.logits).floats
        }
    }
}
