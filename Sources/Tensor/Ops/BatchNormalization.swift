import CKernels

/// Batch normalization at inference, ONNX `BatchNormalization`, float32.
///
/// Inputs `X [N, C, ...]` (rank ≥ 2) and per-channel `scale`, `B`, `mean`, `var`, each of
/// `C` elements. Output of `X`'s shape:
/// `Y[n, c, ...] = a[c] · X[n, c, ...] + b[c]` with `a = scale / √(var + ε)` and
/// `b = B − mean · a` (computed in Double; the same folding as PyTorch's inference kernel).
///
/// VJP: `dX[n, c, ...] = a[c] · dY[n, c, ...]`. Replicas: supported.
/// When the four parameters are constants, `a` and `b` are folded once at build time.
/// The activation after it (MixNet's SiLU) can be applied as each plane is written
/// (`FusedActivation`).
public struct BatchNormalization: ActivatingOperator {
    /// Per-channel `a` and `b`.
    public struct Affine: Sendable {
        public let scale: [Float]
        public let shift: [Float]
    }

    public let epsilon: Float
    /// The folded parameters, or nil to fold them from inputs 1...4 on every call.
    public let folded: Affine?

    /// - Parameter parameters: `scale`, `B`, `mean`, `var` when they are constants.
    public init(epsilon: Float = 1e-5, parameters: [Tensor]? = nil) throws {
        self.epsilon = epsilon
        folded = try parameters.map { try Self.fold($0, epsilon: epsilon) }
    }

    public var opType: String { "BatchNormalization" }
    /// The parameters are read; when folded, nothing is.
    public var backwardUses: BackwardUses { folded == nil ? .inputs(1, 2, 3, 4) : .nothing }

    private static func fold(_ parameters: [Tensor], epsilon: Float) throws -> Affine {
        let names = ["scale", "B", "mean", "var"]
        let channels = parameters[0].count
        for (name, tensor) in zip(names, parameters) {
            guard tensor.elementType == .float32, tensor.rank <= 1, tensor.count == channels else {
                throw EngineError.invalid(op: "BatchNormalization",
                                          "\(name) must be a float32 vector of \(channels) elements, got \(tensor)")
            }
        }
        var scale: [Float] = [], shift: [Float] = []
        for c in 0..<channels {
            let a = Double(parameters[0].floats[c]) / (Double(parameters[3].floats[c]) + Double(epsilon)).squareRoot()
            scale.append(Float(a))
            shift.append(Float(Double(parameters[1].floats[c]) - Double(parameters[2].floats[c]) * a))
        }
        return Affine(scale: scale, shift: shift)
    }

    private func affine(_ inputs: [Tensor?], channels: Int) throws -> Affine {
        let affine = try folded ?? Self.fold((1...4).map { try inputs.required($0, of: opType) }, epsilon: epsilon)
        guard affine.scale.count == channels else {
            throw EngineError.invalid(op: opType, "parameters have \(affine.scale.count) elements for \(channels) channels")
        }
        return affine
    }

    /// `(channels, positions per channel)`.
    private func planes(_ shape: [Int]) throws -> (Int, Int) {
        guard shape.count >= 2 else {
            throw EngineError.invalid(op: opType, "expected an input [N, C, ...] of rank 2 or more, got shape \(shape)")
        }
        return (shape[1], extent(shape, 2..<shape.count))
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        try forward(inputs, into: &outputs, workspace: workspace, activation: nil)
    }

    public func forward(
        _ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace, activation: FusedActivation?
    ) throws {
        let x = try inputs.required(0, of: opType)
        try requireFloat(x, opType)
        guard outputs.count == 1 else {
            throw EngineError.invalid(op: opType, "only the output Y is supported (the other outputs exist in training mode)")
        }
        let (channels, plane) = try planes(x.shape)
        let p = try affine(inputs, channels: channels)
        outputs[0].reset(shape: x.shape)
        x.floats.withUnsafeBufferPointer { xp in
            outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                guard let xs = xp.baseAddress, let ys = yp.baseAddress else { return }
                withKernelActivation(activation) { kernelActivation in
                    workspace.parallelChunks(xp.count / max(1, plane), grain: 8) { rows in
                        for row in rows {
                            let a = p.scale[row % channels], b = p.shift[row % channels]
                            let x = xs + row * plane, y = ys + row * plane
                            for i in 0..<plane { y[i] = a * x[i] + b }
                            if kernelActivation != nil { activation_apply(y, plane, kernelActivation) }
                        }
                    }
                }
            }
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let (channels, plane) = try planes(gradient.shape)
        let p = try affine(inputs, channels: channels)
        try requireFloat(gradient, opType)
        var dx = gradient
        dx.floats.withUnsafeMutableBufferPointer { gp in
            guard let gs = gp.baseAddress else { return }
            for row in 0..<gp.count / max(1, plane) {
                let a = p.scale[row % channels], g = gs + row * plane
                for i in 0..<plane { g[i] *= a }
            }
        }
        return [dx]
    }
}
