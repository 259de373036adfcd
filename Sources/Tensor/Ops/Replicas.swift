// Gradient replicas (see `Operator`): a VJP may receive `G` gradients for a forward pass
// of batch 1, stacked along dimension 0.

/// How many replicas `gradient` carries for a forward output of shape `output`: 1 when
/// it has the output's shape, `G` when it is `[G] + output.dropFirst()` and the output's
/// batch is 1. Throws if it is neither, or not float32.
func replicaCount(_ gradient: Tensor, output: [Int], op: String) throws -> Int {
    try requireFloat(gradient, op)
    if gradient.shape == output { return 1 }
    guard output.first == 1, let count = gradient.shape.first, gradient.shape.dropFirst() == output.dropFirst() else {
        throw EngineError.invalid(op: op, "gradient of shape \(gradient.shape) does not match output shape \(output)")
    }
    return count
}

/// The shape of the gradient for an input of `shape` when `replicas` gradients flow back:
/// `shape` itself for one; else `[replicas] + shape.dropFirst()`, which needs the input's
/// dimension 0 to be the batch (of 1) that the replicas stack along (`batchAligned`).
func replicated(_ shape: [Int], _ replicas: Int, op: String, batchAligned: Bool = true) throws -> [Int] {
    if replicas == 1 { return shape }
    guard batchAligned, shape.first == 1 else { throw EngineError.replicasUnsupported(op: op) }
    return [replicas] + shape.dropFirst()
}
