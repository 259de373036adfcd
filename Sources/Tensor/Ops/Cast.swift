/// ONNX `Cast` (and `CastLike`'s effect): `X` converted element by element to `target`.
///
/// The engine holds float32, int64 and bool tensors, so a float16 result is float32
/// rounded to half precision, a double result float32, and an integer result int64
/// wrapped to the target's width and signedness (as a C cast of the integer). Floats
/// become integers by truncation toward zero (NaN gives 0, infinities and values beyond
/// int64 saturate); bool is `x ≠ 0`.
///
/// VJP (float to float): `dX = dY` (half-precision rounding passes the gradient
/// straight through). An integer or bool result has no gradient.
public struct Cast: Operator {
    public enum Target: Sendable, Hashable, CustomStringConvertible {
        case float32, float16, integer(bits: Int, signed: Bool), bool

        public var description: String {
            switch self {
            case .float32: "float"
            case .float16: "float16"
            case let .integer(bits, signed): "\(signed ? "" : "u")int\(bits)"
            case .bool: "bool"
            }
        }
    }

    public var target: Target

    public init(to target: Target) {
        self.target = target
    }

    public var opType: String { "Cast" }
    public var differentiableInputs: [Int] {
        switch target {
        case .float32, .float16: [0]
        case .integer, .bool: []
        }
    }

    /// `value` wrapped to the target integer's width and signedness.
    private static func wrapped(_ value: Int64, bits: Int, signed: Bool) -> Int64 {
        guard bits < 64 else { return value }
        let mask = (Int64(1) << bits) - 1, low = value & mask
        return signed && low >> (bits - 1) != 0 ? low - (Int64(1) << bits) : low
    }

    /// A float truncated toward zero into int64, saturating; NaN gives 0.
    private static func truncated(_ value: Float) -> Int64 {
        if value.isNaN { return 0 }
        if value >= 9.2233715e18 { return .max }
        if value <= -9.2233715e18 { return .min }
        return Int64(value)
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        let isFloat = x.elementType == .float32
        switch target {
        case .float32, .float16:
            var values = isFloat ? x.floats : x.integers.map { Float($0) }
            if target == .float16 { values = values.map { Float(Float16($0)) } }
            outputs[0].reset(shape: x.shape)
            outputs[0].floats = values
        case let .integer(bits, signed):
            let values = isFloat ? x.floats.map(Self.truncated) : x.integers
            outputs[0].reset(shape: x.shape, integers: values.map { Self.wrapped($0, bits: bits, signed: signed) })
        case .bool:
            let values = isFloat ? x.floats.map { $0 != 0 ? Int64(1) : 0 } : x.integers.map { $0 != 0 ? 1 : 0 }
            outputs[0].reset(shape: x.shape, integers: values, elementType: .bool)
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        guard differentiableInputs == [0] else { throw EngineError.notDifferentiable(op: opType, input: 0) }
        try requireFloat(gradient, opType)
        return [gradient]
    }
}
