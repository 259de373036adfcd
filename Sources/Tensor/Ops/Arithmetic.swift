import CKernels

/// Elementwise arithmetic with numpy broadcasting: ONNX `Add`, `Sub`, `Mul`, `Div`.
///
/// Inputs `A`, `B` whose shapes broadcast (see `Broadcast`); output `Y` of the broadcast
/// shape: `Y = A + B`, `A − B`, `A · B` or `A / B`. Float32, or int64 for shape
/// arithmetic (wrapping; `Div` truncates toward zero and rejects a zero divisor).
///
/// VJP, each summed over the dimensions the input was broadcast along:
/// `Add`: `dA = dY`, `dB = dY`; `Sub`: `dA = dY`, `dB = −dY`; `Mul`: `dA = dY · B`,
/// `dB = dY · A`; `Div`: `dA = dY / B`, `dB = −dY · A / B²`.
/// With replicas, an input of the output's rank gets a replica dimension; a lower-rank
/// input (broadcast along the batch) throws `replicasUnsupported`.
///
/// Float results can take the activation after them as they are written (a residual `Add`
/// then `Relu`, a bias `Add` then GELU: `FusedActivation`).
public struct Arithmetic: ActivatingOperator {
    public enum Kind: String, Sendable, CaseIterable {
        case add = "Add", sub = "Sub", mul = "Mul", div = "Div"
    }

    public var kind: Kind

    public init(_ kind: Kind) {
        self.kind = kind
    }

    public var opType: String { kind.rawValue }
    public var differentiableInputs: [Int] { [0, 1] }
    /// `Mul` and `Div` read both inputs; `Add` and `Sub` only their shapes.
    public var backwardUses: BackwardUses { kind == .mul || kind == .div ? .inputs(0, 1) : .nothing }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        try forward(inputs, into: &outputs, workspace: workspace, activation: nil)
    }

    public func forward(
        _ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace, activation: FusedActivation?
    ) throws {
        let a = try inputs.required(0, of: opType), b = try inputs.required(1, of: opType)
        guard a.elementType == b.elementType, a.elementType != .bool else {
            throw EngineError.invalid(op: opType, "inputs are \(a.elementType) and \(b.elementType); accepted: both float32 or both int64")
        }
        let shape = try Broadcast.shape(a.shape, b.shape, op: opType)
        if a.elementType == .int64 {
            guard activation == nil else {
                throw EngineError.invalid(op: opType, "an activation cannot follow integer arithmetic")
            }
            outputs[0].reset(shape: shape, integers: try integers(a, b, shape: shape))
        } else {
            outputs[0].reset(shape: shape)
            withKernelActivation(activation) { floats(a, b, into: &outputs[0], activation: $0, workspace: workspace) }
        }
    }

    /// `y = a ∘ b`, then the activation (none when nil).
    private func floats(
        _ a: Tensor, _ b: Tensor, into y: inout Tensor, activation: UnsafePointer<fused_activation>?, workspace: Workspace
    ) {
        let kind = kind, shape = y.shape
        let sameShapes = a.count == y.count && b.count == y.count
        a.floats.withUnsafeBufferPointer { ap in
            b.floats.withUnsafeBufferPointer { bp in
                y.floats.withUnsafeMutableBufferPointer { yp in
                    guard let ya = yp.baseAddress, let aa = ap.baseAddress, let ba = bp.baseAddress else { return }
                    if sameShapes {
                        workspace.parallelChunks(yp.count, grain: 1 << 16) { range in
                            let i = range.lowerBound
                            Self.run(kind, aa + i, 1, ba + i, 1, ya + i, range.count)
                            if activation != nil { activation_apply(ya + i, range.count, activation) }
                        }
                    } else {
                        // A bias along the last axis, a per-channel scale: the runs shared among
                        // the threads by their outermost index.
                        let loop = BroadcastLoop(shape: shape, operands: [a.shape, b.shape])
                        let perIndex = max(1, yp.count / loop.outermost)
                        workspace.parallelChunks(loop.outermost, grain: max(1, (1 << 14) / perIndex)) { range in
                            loop.forEachRun(outermost: range) { start, count, offsets, steps in
                                Self.run(kind, aa + offsets[0], steps[0], ba + offsets[1], steps[1], ya + start, count)
                                if activation != nil { activation_apply(ya + start, count, activation) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `y[i] = a[i · sa] ∘ b[i · sb]` for `i < count`.
    @inline(__always)
    private static func run(
        _ kind: Kind, _ a: UnsafePointer<Float>, _ sa: Int, _ b: UnsafePointer<Float>, _ sb: Int,
        _ y: UnsafeMutablePointer<Float>, _ count: Int
    ) {
        switch kind {
        case .add: for i in 0..<count { y[i] = a[i * sa] + b[i * sb] }
        case .sub: for i in 0..<count { y[i] = a[i * sa] - b[i * sb] }
        case .mul: for i in 0..<count { y[i] = a[i * sa] * b[i * sb] }
        case .div: for i in 0..<count { y[i] = a[i * sa] / b[i * sb] }
        }
    }

    private func integers(_ a: Tensor, _ b: Tensor, shape: [Int]) throws -> [Int64] {
        if kind == .div, b.integers.contains(0) {
            throw EngineError.invalid(op: opType, "integer division by zero")
        }
        var result = [Int64](repeating: 0, count: shape.reduce(1, *))
        BroadcastLoop(shape: shape, operands: [a.shape, b.shape]).forEachRun { start, count, offsets, steps in
            for i in 0..<count {
                let x = a.integers[offsets[0] + i * steps[0]], y = b.integers[offsets[1] + i * steps[1]]
                switch kind {
                case .add: result[start + i] = x &+ y
                case .sub: result[start + i] = x &- y
                case .mul: result[start + i] = x &* y
                case .div: result[start + i] = x.dividedReportingOverflow(by: y).partialValue
                }
            }
        }
        return result
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let shapes = [try context.inputShape(0, of: opType), try context.inputShape(1, of: opType)]
        let output = try Broadcast.shape(shapes[0], shapes[1], op: opType)
        let replicas = try replicaCount(gradient, output: output, op: opType)
        return try wrt.map { position in
            let shape = shapes[position]
            let target = try replicated(shape, replicas, op: opType, batchAligned: shape.count == output.count)
            if target == gradient.shape, kind == .add || (kind == .sub && position == 0) {
                return gradient
            }
            /// A forward input (only `Mul` and `Div` read them).
            func value(_ position: Int) throws -> Tensor {
                let tensor = try inputs.required(position, of: opType)
                try requireFloat(tensor, opType)
                return tensor
            }
            switch (kind, position) {
            case (.add, _), (.sub, 0): return Broadcast.reduce(gradient, to: target) { dy, _, _ in dy }
            case (.sub, _): return Broadcast.reduce(gradient, to: target) { dy, _, _ in -dy }
            case (.mul, 0): return Broadcast.reduce(gradient, to: target, try value(1)) { dy, b, _ in dy * b }
            case (.mul, _): return Broadcast.reduce(gradient, to: target, try value(0)) { dy, a, _ in dy * a }
            case (.div, 0): return Broadcast.reduce(gradient, to: target, try value(1)) { dy, b, _ in dy / b }
            case (.div, _): return Broadcast.reduce(gradient, to: target, try value(0), try value(1)) { dy, a, b in -dy * a / (b * b) }
            }
        }
    }
}
