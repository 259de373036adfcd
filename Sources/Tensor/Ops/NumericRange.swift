/// ONNX `Range` (`NumericRange`, apart from Swift's `Range`): `start, start + delta, ...` short of `limit`, from three scalar inputs of
/// one element type (float32 or int64): `max(ceil((limit − start) / delta), 0)` elements,
/// checked against `maximumComputedElements` before anything is allocated; `delta` must
/// not be 0. Not differentiable (its inputs are bounds).
public struct NumericRange: Operator {
    public init() {}

    public var opType: String { "Range" }
    public var differentiableInputs: [Int] { [] }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let bounds = try (0..<3).map { try inputs.required($0, of: opType) }
        guard bounds.allSatisfy({ $0.count == 1 && $0.elementType == bounds[0].elementType }), bounds[0].elementType != .bool else {
            throw EngineError.invalid(op: opType, "start, limit and delta must be scalars of one type, float32 or int64; got \(bounds.map(\.description))")
        }
        if bounds[0].elementType == .float32 {
            let start = bounds[0].floats[0], limit = bounds[1].floats[0], delta = bounds[2].floats[0]
            guard delta != 0, delta.isFinite, start.isFinite, limit.isFinite else {
                throw EngineError.invalid(op: opType, "start, limit and delta must be finite and delta non-zero")
            }
            let steps = max(((Double(limit) - Double(start)) / Double(delta)).rounded(.up), 0)
            let count = try checkedCount([Int(min(steps, Double(maximumComputedElements + 1)))], op: opType)
            outputs[0] = Tensor(shape: [count], floats: (0..<count).map { start + Float($0) * delta })
        } else {
            let start = bounds[0].integers[0], limit = bounds[1].integers[0], delta = bounds[2].integers[0]
            guard delta != 0 else { throw EngineError.invalid(op: opType, "delta must be non-zero") }
            let (span, overflow) = limit.subtractingReportingOverflow(start)
            guard !overflow, span != .min || delta != -1 else { throw EngineError.invalid(op: opType, "limit − start overflows int64") }
            let (quotient, remainder) = span.quotientAndRemainder(dividingBy: delta)
            let steps = remainder != 0 && (remainder > 0) == (delta > 0) ? quotient + 1 : quotient
            let count = try checkedCount([Int(max(steps, 0))], op: opType)
            outputs[0].reset(shape: [count], integers: (0..<count).map { start &+ Int64($0) &* delta })
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        throw EngineError.notDifferentiable(op: opType, input: wrt.first ?? 0)
    }
}
