import CKernels
import Foundation

/// An elementwise function of one float32 tensor: ONNX `Exp`, `Log`, `Sqrt`, `Reciprocal`,
/// `Tanh`, `Neg`, `Abs`, `Ceil`, `Floor`, `Erf`, `Gelu`, `Softplus`, `Mish`, `Elu`, `Selu`,
/// `HardSigmoid`, `HardSwish`. `y[i] = f(x[i])`; `y` has `x`'s shape.
///
/// VJP: `dx = dy · f′`, with `f′` taken from `y` where that is simplest (`Exp`, `Sqrt`,
/// `Reciprocal`, `Tanh`) and from `x` otherwise. At a kink the derivative is PyTorch's:
/// `Abs` 0 at 0; `Ceil` and `Floor` 0 everywhere (exporters emit them on shapes, as in
/// TensorFlow-style "SAME" padding, which folds at load); `Elu`, `Selu` the negative side's at 0; `HardSigmoid` 0 at the ramp's
/// ends; `HardSwish` `x/3 + 1/2` on `[−3, 3]`. Outside a function's domain (`Log`, `Sqrt`
/// of a negative) values and gradients are NaN, as IEEE arithmetic makes them.
/// Replicas: elementwise.
public struct UnaryFunction: Operator {
    public enum Function: Sendable, Hashable {
        case exp, log, sqrt, reciprocal, tanh, neg, abs, ceil, floor
        /// The Gauss error function.
        case erf
        /// `x · Φ(x)` with `Φ` the standard normal CDF; with `approximate`,
        /// `x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³)))` (ONNX `approximate = "tanh"`).
        case gelu(approximate: Bool)
        /// `ln(1 + eˣ)`.
        case softplus
        /// `x · tanh(softplus(x))`.
        case mish
        /// `x` for `x > 0`, `α(eˣ − 1)` otherwise.
        case elu(alpha: Float)
        /// `γ · x` for `x > 0`, `γ · α(eˣ − 1)` otherwise.
        case selu(alpha: Float, gamma: Float)
        /// `clamp(α · x + β, 0, 1)`.
        case hardSigmoid(alpha: Float, beta: Float)
        /// `x · clamp(x/6 + 1/2, 0, 1)`.
        case hardSwish
    }

    public var function: Function

    public init(_ function: Function) {
        self.function = function
    }

    public var opType: String {
        switch function {
        case .exp: "Exp"
        case .log: "Log"
        case .sqrt: "Sqrt"
        case .reciprocal: "Reciprocal"
        case .tanh: "Tanh"
        case .neg: "Neg"
        case .abs: "Abs"
        case .ceil: "Ceil"
        case .floor: "Floor"
        case .erf: "Erf"
        case .gelu: "Gelu"
        case .softplus: "Softplus"
        case .mish: "Mish"
        case .elu: "Elu"
        case .selu: "Selu"
        case .hardSigmoid: "HardSigmoid"
        case .hardSwish: "HardSwish"
        }
    }

    /// Whether the derivative is computed from `y` rather than `x`.
    private var derivativeReadsOutput: Bool {
        switch function {
        case .exp, .sqrt, .reciprocal, .tanh: true
        default: false
        }
    }

    public var backwardUses: BackwardUses {
        if function == .neg || function == .ceil || function == .floor { return .nothing }
        return derivativeReadsOutput ? .outputs : .inputs(0)
    }

    /// `f`, per element; nil for `Erf`, which C computes a run at a time (`erf_values`,
    /// vectorized, within 5e-7 of libm's: ConvNeXt's GELU reads it).
    private var value: (@Sendable (Float) -> Float)? {
        switch function {
        case .exp: return { Foundation.exp($0) }
        case .log: return { Foundation.log($0) }
        case .sqrt: return { $0.squareRoot() }
        case .reciprocal: return { 1 / $0 }
        case .tanh: return { Foundation.tanh($0) }
        case .neg: return { -$0 }
        case .abs: return { Swift.abs($0) }
        case .ceil: return { $0.rounded(.up) }
        case .floor: return { $0.rounded(.down) }
        case .erf: return nil
        case .gelu(let approximate):
            return { x in Float((approximate ? Self.geluTanh(Double(x)) : Self.gelu(Double(x))).value) }
        case .softplus: return Self.softplus
        case .mish: return { x in x * Foundation.tanh(Self.softplus(x)) }
        case .elu(let alpha): return { x in x > 0 ? x : alpha * Foundation.expm1(x) }
        case let .selu(alpha, gamma): return { x in gamma * (x > 0 ? x : alpha * Foundation.expm1(x)) }
        case let .hardSigmoid(alpha, beta): return { x in Clip.clamp(alpha * x + beta, 0, 1) }
        case .hardSwish: return { x in x * Clip.clamp(x / 6 + 0.5, 0, 1) }
        }
    }

    /// `f′`, of `y` when `derivativeReadsOutput`, else of `x`.
    private var derivative: @Sendable (Float) -> Float {
        switch function {
        case .exp: return { y in y }
        case .sqrt: return { y in 0.5 / y }
        case .reciprocal: return { y in -y * y }
        case .tanh: return { y in 1 - y * y }
        case .log: return { x in 1 / x }
        case .neg: return { _ in -1 }
        case .abs: return { x in x > 0 ? 1 : x < 0 ? -1 : 0 }
        case .ceil, .floor: return { _ in 0 }
        case .erf: return { x in Float(2 / Double.pi.squareRoot() * Foundation.exp(-Double(x) * Double(x))) }
        case .gelu(let approximate):
            return { x in Float((approximate ? Self.geluTanh(Double(x)) : Self.gelu(Double(x))).slope) }
        case .softplus: return Sigmoid.logistic
        case .mish:
            return { x in
                let t = Foundation.tanh(Self.softplus(x))
                return t + x * (1 - t * t) * Sigmoid.logistic(x)
            }
        case .elu(let alpha): return { x in x > 0 ? 1 : alpha * Foundation.exp(x) }
        case let .selu(alpha, gamma): return { x in gamma * (x > 0 ? 1 : alpha * Foundation.exp(x)) }
        case let .hardSigmoid(alpha, beta):
            return { x in
                let ramp = alpha * x + beta
                return ramp > 0 && ramp < 1 ? alpha : 0
            }
        case .hardSwish: return { x in x < -3 ? 0 : x <= 3 ? x / 3 + 0.5 : 1 }
        }
    }

    /// `ln(1 + eˣ)` without overflow.
    @Sendable private static func softplus(_ x: Float) -> Float {
        x > 0 ? x + Foundation.log1p(Foundation.exp(-x)) : Foundation.log1p(Foundation.exp(x))
    }

    /// Exact GELU and its derivative `Φ(x) + x · φ(x)`.
    private static func gelu(_ x: Double) -> (value: Double, slope: Double) {
        let cdf = 0.5 * (1 + Foundation.erf(x / 2.0.squareRoot()))
        let density = Foundation.exp(-x * x / 2) / (2 * Double.pi).squareRoot()
        return (x * cdf, cdf + x * density)
    }

    /// Tanh-approximated GELU and its derivative.
    private static func geluTanh(_ x: Double) -> (value: Double, slope: Double) {
        let c = (2 / Double.pi).squareRoot(), k = 0.044_715
        let t = Foundation.tanh(c * (x + k * x * x * x))
        return (0.5 * x * (1 + t), 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * k * x * x))
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        try requireFloat(x, opType)
        outputs[0].reset(shape: x.shape)
        let f = value
        x.floats.withUnsafeBufferPointer { xp in
            outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                guard let xs = xp.baseAddress, let ys = yp.baseAddress else { return }
                workspace.parallelChunks(xp.count, grain: 1 << 14) { range in
                    guard let f else { return erf_values(xs + range.lowerBound, ys + range.lowerBound, range.count) }
                    for i in range { ys[i] = f(xs[i]) }
                }
            }
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        if function == .neg || function == .ceil || function == .floor {
            // A constant derivative (−1, or 0): no forward value is needed.
            try requireFloat(gradient, opType)
            var dx = gradient
            let slope: Float = function == .neg ? -1 : 0
            dx.floats.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] *= slope } }
            return try reshapeGradient(dx, to: try context.inputShape(0, of: opType), op: opType)
        }
        let forward = derivativeReadsOutput ? outputs[0] : try inputs.required(0, of: opType)
        let d = derivative
        return [try gradient.mapReplicas(against: forward, op: opType) { dy, v in dy * d(v) }]
    }
}
