import CKernels
import Foundation

/// Logistic function, ONNX `Sigmoid`: `y = 1 / (1 + e^(−x))`, evaluated as
/// `e^x / (1 + e^x)` for negative `x` so that it never overflows.
///
/// The forward pass runs in C (`logistic_values`, vectorized). Shapes: any, float32; `y` has
/// `x`'s shape. VJP: `dx = dy · y · (1 − y)`.
/// Replicas: elementwise.
public struct Sigmoid: Operator {
    public init() {}

    public var opType: String { "Sigmoid" }
    public var backwardUses: BackwardUses { .outputs }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        try requireFloat(x, opType)
        outputs[0].reset(shape: x.shape)
        x.floats.withUnsafeBufferPointer { xp in
            outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                guard let xs = xp.baseAddress, let ys = yp.baseAddress else { return }
                workspace.parallelChunks(xp.count, grain: 1 << 14) { range in
                    logistic_values(xs + range.lowerBound, ys + range.lowerBound, range.count)
                }
            }
        }
    }

    /// `1 / (1 + e^(−v))`, without overflow for any `v` (also the derivative of `Softplus`).
    @inline(__always)
    static func logistic(_ v: Float) -> Float {
        if v >= 0 { return 1 / (1 + exp(-v)) }
        let e = exp(v)
        return e / (1 + e)
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        [try gradient.mapReplicas(against: outputs[0], op: opType) { dy, y in dy * y * (1 - y) }]
    }
}
