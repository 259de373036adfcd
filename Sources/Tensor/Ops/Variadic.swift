/// Elementwise reductions over any number of inputs with numpy broadcasting: ONNX `Max`,
/// `Min`, `Sum`, `Mean`. Inputs share one element type (float32, or an integer type for
/// `Max`, `Min` and `Sum`, wrapping on overflow); `Y` has the shape they all broadcast to.
///
/// VJP, each summed over the dimensions its input was broadcast along: `Sum`:
/// `dX_k = dY`; `Mean`: `dX_k = dY / n`; `Max`, `Min`: `dY` to the inputs equal to `Y`,
/// shared evenly among tied inputs (as PyTorch's `maximum`). Replicas: as `Arithmetic`.
public struct Variadic: Operator {
    public enum Kind: String, Sendable, CaseIterable {
        case max = "Max", min = "Min", sum = "Sum", mean = "Mean"
    }

    public var kind: Kind
    /// Number of inputs, all differentiable.
    public var inputCount: Int

    public init(_ kind: Kind, inputCount: Int) {
        self.kind = kind
        self.inputCount = inputCount
    }

    public var opType: String { kind.rawValue }
    public var differentiableInputs: [Int] { Array(0..<inputCount) }
    /// `Max` and `Min` find the inputs that attained `Y`; `Sum` and `Mean` need only shapes.
    public var backwardUses: BackwardUses {
        kind == .max || kind == .min ? BackwardUses(inputs: Set(0..<inputCount), outputs: true) : .nothing
    }

    /// The output shape for inputs of `shapes`.
    private func shape(_ shapes: [[Int]?]) throws -> [Int] {
        guard !shapes.isEmpty else { throw EngineError.invalid(op: opType, "needs at least one input") }
        return try shapes.indices.reduce([Int]()) { shape, position in
            guard let input = shapes[position] else { throw EngineError.invalid(op: opType, "input \(position) is required") }
            return try Broadcast.shape(shape, input, op: opType)
        }
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let parts = try inputs.indices.map { try inputs.required($0, of: opType) }
        let type = parts.first?.elementType ?? .float32
        guard parts.allSatisfy({ $0.elementType == type }), type != .bool,
              type == .float32 || kind != .mean else {
            throw EngineError.invalid(op: opType, "inputs are \(parts.map(\.elementType)); accepted: all float32"
                                      + (kind == .mean ? "" : " or all integer"))
        }
        let shape = try shape(parts.map(\.shape))
        let kind = kind
        /// Folds each input into `result`, which starts as a copy of the first.
        func fold<T>(_ elements: (Tensor) -> [T], into result: inout [T], _ combine: (T, T) -> T) {
            for (k, part) in parts.enumerated() {
                let x = elements(part)
                BroadcastLoop(shape: shape, operands: [part.shape]).forEachRun { start, count, offsets, steps in
                    for i in 0..<count {
                        let v = x[offsets[0] + i * steps[0]]
                        result[start + i] = k == 0 ? v : combine(result[start + i], v)
                    }
                }
            }
        }
        if type == .float32 {
            outputs[0].reset(shape: shape)
            switch kind {
            case .max: fold(\.floats, into: &outputs[0].floats) { Swift.max($0, $1) }
            case .min: fold(\.floats, into: &outputs[0].floats) { Swift.min($0, $1) }
            case .sum, .mean: fold(\.floats, into: &outputs[0].floats, +)
            }
            if kind == .mean {
                let n = Float(parts.count)
                outputs[0].floats.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] /= n } }
            }
        } else {
            var result = [Int64](repeating: 0, count: shape.reduce(1, *))
            switch kind {
            case .max: fold(\.integers, into: &result) { Swift.max($0, $1) }
            case .min: fold(\.integers, into: &result) { Swift.min($0, $1) }
            case .sum, .mean: fold(\.integers, into: &result, &+)
            }
            outputs[0].reset(shape: shape, integers: result, elementType: type)
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let output = try shape(context.inputShapes)
        let replicas = try replicaCount(gradient, output: output, op: opType)
        var share = gradient
        switch kind {
        case .sum: break
        case .mean:
            let n = Float(inputCount)
            share.floats.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] /= n } }
        case .max, .min:
            // dY divided by the number of inputs tied at the extremum, per output element.
            let y = outputs[0]
            try requireFloat(y, opType)
            var ties = [Float](repeating: 0, count: y.count)
            for position in 0..<inputCount {
                let x = try inputs.required(position, of: opType)
                BroadcastLoop(shape: y.shape, operands: [x.shape]).forEachRun { start, count, offsets, steps in
                    for i in 0..<count where x.floats[offsets[0] + i * steps[0]] == y.floats[start + i] { ties[start + i] += 1 }
                }
            }
            share = try share.mapReplicas(against: Tensor(shape: y.shape, floats: ties), op: opType) { dy, n in dy / n }
        }
        return try wrt.map { position in
            let shape = try context.inputShape(position, of: opType)
            let target = try replicated(shape, replicas, op: opType, batchAligned: shape.count == output.count)
            guard kind == .max || kind == .min else {
                return target == share.shape ? share : Broadcast.reduce(share, to: target) { dy, _, _ in dy }
            }
            return Broadcast.reduce(share, to: target, try inputs.required(position, of: opType), outputs[0]) { dy, x, y in
                x == y ? dy : 0
            }
        }
    }
}
