import Foundation

/// Power with numpy broadcasting, ONNX `Pow`: `Y = A^B` (`pow` of float32), `Y` of the
/// broadcast shape. The base `A` is float32; the exponent `B` is float32 or an integer
/// tensor (read as float32). An integer base is refused: the engine computes in float32.
///
/// VJP (PyTorch's): `dA = dY · B · A^(B − 1)`, 0 where `B = 0`; `dB = dY · A^B · ln A`,
/// 0 where `A = 0` (NaN for a negative base). Each is summed over the dimensions its input
/// was broadcast along. Replicas: as `Arithmetic`.
public struct Pow: Operator {
    public init() {}

    public var opType: String { "Pow" }
    public var differentiableInputs: [Int] { [0, 1] }
    public var backwardUses: BackwardUses { .inputs(0, 1) }

    /// The base and the exponent as float32.
    private func operands(_ inputs: [Tensor?]) throws -> (Tensor, Tensor) {
        let a = try inputs.required(0, of: opType), b = try inputs.required(1, of: opType)
        guard a.elementType == .float32 else {
            throw EngineError.invalid(op: opType, "the base is \(a.elementType); accepted: float32 (the engine computes in float32)")
        }
        guard b.elementType != .bool else {
            throw EngineError.invalid(op: opType, "the exponent is bool; accepted: float32 or an integer type")
        }
        return (a, b.elementType == .float32 ? b : Tensor(shape: b.shape, floats: b.integers.map { Float($0) }))
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let (a, b) = try operands(inputs)
        let shape = try Broadcast.shape(a.shape, b.shape, op: opType)
        outputs[0].reset(shape: shape)
        a.floats.withUnsafeBufferPointer { ap in
            b.floats.withUnsafeBufferPointer { bp in
                outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                    BroadcastLoop(shape: shape, operands: [a.shape, b.shape]).forEachRun { start, count, offsets, steps in
                        for i in 0..<count {
                            yp[start + i] = Foundation.pow(ap[offsets[0] + i * steps[0]], bp[offsets[1] + i * steps[1]])
                        }
                    }
                }
            }
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let (a, b) = try operands(inputs)
        let output = try Broadcast.shape(a.shape, b.shape, op: opType)
        let replicas = try replicaCount(gradient, output: output, op: opType)
        return try wrt.map { position in
            let shape = position == 0 ? a.shape : b.shape
            let target = try replicated(shape, replicas, op: opType, batchAligned: shape.count == output.count)
            if position == 0 {
                return Broadcast.reduce(gradient, to: target, a, b) { dy, a, b in b == 0 ? 0 : dy * b * Foundation.pow(a, b - 1) }
            }
            return Broadcast.reduce(gradient, to: target, a, b) { dy, a, b in a == 0 ? 0 : dy * Foundation.pow(a, b) * Foundation.log(a) }
        }
    }
}
