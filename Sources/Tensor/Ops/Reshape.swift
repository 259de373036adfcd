/// ONNX `Reshape`: `X` (any element type) with the shape given by the int64 input 1.
///
/// Each requested extent is kept as is, or `−1` (at most one: inferred from the element
/// count), or `0`: a copy of `X`'s extent at that position, unless `allowZero` (opset ≥ 14
/// `allowzero = 1`), where 0 means an empty dimension and cannot be combined with `−1`.
///
/// VJP: `dX` is `dY` viewed with `X`'s shape. Replicas: supported when `X`'s dimension 0
/// is the batch of 1.
public struct Reshape: Operator {
    public var allowZero: Bool

    public init(allowZero: Bool = false) {
        self.allowZero = allowZero
    }

    public var opType: String { "Reshape" }
    /// Only the input's shape is read.
    public var backwardUses: BackwardUses { .nothing }

    /// The output shape for an input of `input` and a requested `shape`.
    func resolve(_ requested: [Int], input: [Int]) throws -> [Int] {
        var shape = requested
        var inferred: Int?
        for (i, extent) in requested.enumerated() {
            switch extent {
            case -1:
                guard inferred == nil else { throw EngineError.invalid(op: opType, "shape \(requested) has more than one -1") }
                inferred = i
            case 0 where !allowZero:
                guard i < input.count else {
                    throw EngineError.invalid(op: opType, "shape \(requested) copies dimension \(i), but the input \(input) has rank \(input.count)")
                }
                shape[i] = input[i]
            case ..<0:
                throw EngineError.invalid(op: opType, "shape \(requested) has a negative extent other than -1")
            default:
                break
            }
        }
        let count = input.reduce(1, *)
        if let inferred {
            let known = shape.enumerated().filter { $0.offset != inferred }.reduce(1) { $0 * $1.element }
            guard known > 0, count % known == 0 else {
                throw EngineError.invalid(op: opType, "cannot reshape \(input) to \(requested): \(count) elements do not divide into \(known)")
            }
            shape[inferred] = count / known
        }
        guard shape.reduce(1, *) == count else {
            throw EngineError.invalid(op: opType, "cannot reshape \(input) (\(count) elements) to \(requested)")
        }
        return shape
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType), shape = try inputs.required(1, of: opType)
        guard shape.elementType == .int64, shape.rank == 1 else {
            throw EngineError.invalid(op: opType, "the shape input must be a 1-D int64 tensor, got \(shape)")
        }
        outputs[0].assign(x, shape: try resolve(shape.intValues, input: x.shape))
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        try reshapeGradient(gradient, to: try context.inputShape(0, of: opType), op: opType)
    }
}
