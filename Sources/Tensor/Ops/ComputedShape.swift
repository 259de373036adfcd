/// The most elements an operator creates for a shape it computes from values it reads
/// (a target shape, repeats, pads, scales or sizes, a range): 2^28, 1 GiB of float32.
/// It defends against a model whose constants ask for a tensor larger than memory: the
/// shape is refused before anything is allocated.
public let maximumComputedElements = 1 << 28

/// The element count of a computed `shape`, each extent non-negative and at most
/// `maximumComputedElements`, multiplied with overflow checked and bounded by it.
func checkedCount(_ shape: [Int], op: String) throws -> Int {
    var count = 1
    for extent in shape {
        guard extent >= 0 else { throw EngineError.invalid(op: op, "the computed shape \(shape) has a negative extent") }
        guard extent <= maximumComputedElements else {
            throw EngineError.invalid(op: op, "the computed shape \(shape) has an extent over \(maximumComputedElements)")
        }
        let (product, overflow) = count.multipliedReportingOverflow(by: extent)
        guard !overflow, product <= maximumComputedElements else {
            throw EngineError.invalid(op: op, "the computed shape \(shape) has more than \(maximumComputedElements) elements")
        }
        count = product
    }
    return count
}

/// The integer list in the optional input at `position` (a 1-D or scalar int64 tensor:
/// shapes, axes, starts, repeats), or nil when the input is absent.
func integerList(_ inputs: [Tensor?], _ position: Int, _ name: String, op: String) throws -> [Int]? {
    guard let tensor = inputs.optional(position) else { return nil }
    guard tensor.elementType == .int64, tensor.rank <= 1 else {
        throw EngineError.invalid(op: op, "\(name) must be a 1-D int64 tensor, got \(tensor)")
    }
    return tensor.integers.map { Int($0) }
}
