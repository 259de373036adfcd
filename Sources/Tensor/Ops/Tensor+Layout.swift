// Layout helpers shared by the operators.

/// `axis` in `-rank..<rank` (or `-rank...rank` with `inclusive`), made non-negative.
func normalizedAxis(_ axis: Int, rank: Int, op: String, inclusive: Bool = false) throws -> Int {
    let upper = inclusive ? rank : rank - 1
    guard axis >= -rank, axis <= upper else {
        throw EngineError.invalid(op: op, "axis \(axis) is out of range for rank \(rank) (accepted: \(-rank)...\(upper))")
    }
    return axis < 0 ? axis + rank : axis
}

/// The product of `shape[range]` (1 for an empty range).
func extent(_ shape: [Int], _ range: Range<Int>) -> Int {
    shape[range].reduce(1, *)
}

extension Tensor {
    /// Makes this tensor a copy of `source`'s elements with shape `shape` (same count),
    /// reusing float storage. Integer and boolean tensors share `source`'s storage.
    mutating func assign(_ source: Tensor, shape newShape: [Int]) {
        guard source.elementType == .float32 else {
            reset(shape: newShape, integers: source.integers, elementType: source.elementType)
            return
        }
        reset(shape: newShape)
        guard source.count > 0 else { return }
        floats.withUnsafeMutableBufferPointer { destination in
            source.floats.withUnsafeBufferPointer { destination.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
        }
    }
}
