import Tensor

/// The structure CAM (Zhou et al.) needs: the layer feeds a global average pool whose
/// output `z` reaches the scores through linear operators only, `S = W·z + b`.
///
/// Then `CAM_c = Σ_k W[c, k] · A_k`, and `W[c, :]` is exactly `∂S_c/∂z`: a backward pass
/// from the scores to `z` (through the head alone) reads the weights off whatever form the
/// exporter gave the head (Gemm, MatMul + Add, with Flatten or Reshape).
struct ClassActivationHead {
    /// The pooled features `z`, `[1, C, 1, 1]`.
    let pooled: ValueID
    /// The backward pass from the scores to `z`.
    let plan: BackwardPlan

    /// Operators that keep the head linear in `z`.
    static let linear: Set<String> = ["Flatten", "Reshape", "Squeeze", "Unsqueeze", "Gemm", "MatMul", "Add", "Sub", "Identity", "Dropout", "Transpose"]

    init(model: ExplainableModel, layers: [Layer]) throws {
        let graph = model.graph
        guard layers.count == 1, let layer = layers.first else {
            throw ExplainError.noClassActivationHead("it explains one layer at a time")
        }
        let consumers = graph.consumers(of: layer.value)
        guard consumers.count == 1, graph.nodes[consumers[0]].op.opType == "GlobalAveragePool" else {
            let feeding = graph.nodes.first { $0.op.opType == "GlobalAveragePool" }?.inputs.first ?? nil
            let hint = feeding.map { " (in this model, layer '\(graph.name(of: $0))' does)" } ?? " (this model has no GlobalAveragePool)"
            throw ExplainError.noClassActivationHead("layer '\(layer.name)' does not feed a GlobalAveragePool directly\(hint)")
        }
        pooled = graph.nodes[consumers[0]].outputs[0]
        plan = try BackwardPlan(graph: graph, from: model.logits, to: [pooled])
        for index in plan.nodeIndices {
            let node = graph.nodes[index]
            guard Self.linear.contains(node.op.opType) else {
                throw ExplainError.noClassActivationHead("node '\(node.name)' (\(node.op.opType)) between the pooling and the scores is not linear")
            }
        }
    }

    /// `W [K, C]` for the `K` seeded classes, from the gradient at `z` (`[K, C, 1, 1]`).
    func weights(from gradient: Tensor) -> [Float] {
        gradient.floats
    }
}
