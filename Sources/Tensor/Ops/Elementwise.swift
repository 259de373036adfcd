/// Throws unless `tensor` holds floats.
func requireFloat(_ tensor: Tensor, _ op: String) throws {
    guard tensor.elementType == .float32 else {
        throw EngineError.invalid(op: op, "expected a float32 tensor, got \(tensor.elementType)")
    }
}

extension Tensor {
    /// `result[i] = f(self[i], forward[i mod forward.count])` for a gradient `self` whose
    /// replicas (dimension 0) each match the forward tensor's shape, or which matches it exactly.
    func mapReplicas(against forward: Tensor, op: String, _ f: (Float, Float) -> Float) throws -> Tensor {
        let n = forward.count
        guard shape == forward.shape || (forward.shape.first == 1 && shape.dropFirst() == forward.shape.dropFirst()) else {
            throw EngineError.invalid(op: op, "gradient of shape \(shape) does not match forward shape \(forward.shape)")
        }
        var result = self
        result.floats.withUnsafeMutableBufferPointer { r in
            forward.floats.withUnsafeBufferPointer { v in
                var i = 0
                while i < r.count {
                    for j in 0..<n { r[i + j] = f(r[i + j], v[j]) }
                    i += n
                }
            }
        }
        return result
    }
}
