/// Group normalization, ONNX `GroupNormalization` (opsets 18 and 21), and instance
/// normalization, ONNX `InstanceNormalization` (one group per channel), float32.
///
/// Inputs `X [N, C, ...]` (rank ≥ 2), `scale` and `bias`. The `C` channels form `groups`
/// groups of `C / groups` consecutive channels; each image's group is standardized over its
/// channels and positions, then scaled per channel (see `Standardization`):
/// `Y[n, c, ...] = (X[n, c, ...] − μ[n, g]) / √(σ²[n, g] + ε) · scale[c] + bias[c]`.
/// `scale` and `bias` have `C` elements (opset 21, and `InstanceNormalization`) or, in
/// opset 18's form, `groups` elements, one per group.
///
/// VJP for `X` only (see `Standardization`). Replicas: supported.
public struct GroupNormalization: Operator {
    /// The number of groups; nil for `InstanceNormalization`'s one group per channel.
    public var groups: Int?
    public var epsilon: Float
    /// Whether `scale` and `bias` hold one value per group (opset 18) rather than per channel.
    public var perGroupParameters: Bool

    public init(groups: Int?, epsilon: Float = 1e-5, perGroupParameters: Bool = false) {
        self.groups = groups
        self.epsilon = epsilon
        self.perGroupParameters = perGroupParameters
    }

    public var opType: String { groups == nil ? "InstanceNormalization" : "GroupNormalization" }
    public var backwardUses: BackwardUses { .inputs(0, 1) }

    /// The standardization of `x`'s groups; the VJP, which does not read `bias`, passes
    /// `shifting: false` and gets zero shifts.
    private func plan(_ inputs: [Tensor?], shifting: Bool = true) throws -> (x: Tensor, rows: Standardization) {
        let x = try inputs.required(0, of: opType), scale = try inputs.required(1, of: opType)
        let bias = shifting ? try inputs.required(2, of: opType) : Tensor.zeros(scale.shape)
        for tensor in [x, scale, bias] { try requireFloat(tensor, opType) }
        guard x.rank >= 2 else {
            throw EngineError.invalid(op: opType, "expected an input [N, C, ...] of rank 2 or more, got shape \(x.shape)")
        }
        let channels = x.shape[1], groups = groups ?? channels
        guard groups >= 1, channels % groups == 0 else {
            throw EngineError.invalid(op: opType, "\(channels) channels cannot form \(groups) groups of equal size")
        }
        let perGroup = channels / groups, expected = perGroupParameters ? groups : channels
        /// A parameter as one value per channel.
        func perChannel(_ parameter: Tensor, _ name: String) throws -> [Float] {
            guard parameter.rank <= 1, parameter.count == expected else {
                throw EngineError.invalid(op: opType, "\(name) must be a vector of \(expected) elements (one per \(perGroupParameters ? "group" : "channel")), got shape \(parameter.shape)")
            }
            return perGroupParameters ? (0..<channels).map { parameter.floats[$0 / perGroup] } : parameter.floats
        }
        let plane = extent(x.shape, 2..<x.rank)
        let rows = Standardization(rows: x.shape[0] * groups, length: perGroup * plane, segment: plane, epsilon: epsilon,
                                   scale: try perChannel(scale, "scale"), shift: try perChannel(bias, "bias"))
        return (x, rows)
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let (x, rows) = try plan(inputs)
        outputs[0].reset(shape: x.shape)
        x.floats.withUnsafeBufferPointer { xp in
            outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                _ = rows.forward(xp, into: yp, workspace: workspace)
            }
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let (x, rows) = try plan(inputs, shifting: false)
        _ = try replicaCount(gradient, output: x.shape, op: opType)
        return [x.floats.withUnsafeBufferPointer { rows.backward(gradient, x: $0, workspace: context.workspace) }]
    }
}
