import CKernels

/// An activation that an operator applies to its output as it writes it (`ActivatingOperator`),
/// in place of the node (or the Sigmoid·Mul pair) that would apply it: one pass over the
/// tensor fewer, and no tensor for the value before the activation. The kernels compute it in C
/// (`activation.h`), equal to the separate operators up to float rounding:
/// - `relu`: `max(y, 0)` (`Relu`);
/// - `clip`: `min(max(y, lo), hi)` (`Clip` with constant bounds; ReLU6 is `0...6`);
/// - `hardSwish`: `y · min(max(y/6 + 1/2, 0), 1)` (`HardSwish`);
/// - `silu`: `y · σ(y) = y / (1 + e^−y)` (`Sigmoid` then `Mul` of its input and output);
/// - `gelu`: `y · (1 + erf(y/√2)) / 2`, as the exporters write GELU: `Div` by √2 (or `Mul` by
///   1/√2), `Erf`, `Add` 1, then `Mul` by `y` and `Mul` by 1/2 (TorchScript's exporter), or
///   `Mul` by 1/2 and `Mul` by `y` (the dynamo exporter) (ConvNeXt).
public enum FusedActivation: Sendable, Hashable {
    case relu
    case clip(lo: Float, hi: Float)
    case hardSwish
    case silu
    case gelu

    /// The operator it stands for, as profiles name it.
    var name: String {
        switch self {
        case .relu: "Relu"
        case .clip: "Clip"
        case .hardSwish: "HardSwish"
        case .silu: "SiLU"
        case .gelu: "GELU"
        }
    }

    /// The C kernels' description.
    var kernelDescription: fused_activation {
        switch self {
        case .relu: fused_activation(kind: FUSED_RELU, lo: 0, hi: 0)
        case .clip(let lo, let hi): fused_activation(kind: FUSED_CLIP, lo: lo, hi: hi)
        case .hardSwish: fused_activation(kind: FUSED_HARD_SWISH, lo: 0, hi: 0)
        case .silu: fused_activation(kind: FUSED_SILU, lo: 0, hi: 0)
        case .gelu: fused_activation(kind: FUSED_GELU, lo: 0, hi: 0)
        }
    }

    /// The activation that the nodes right after `nodes[index]` apply to its only output `y`,
    /// and how many nodes that is, when nothing else reads `y` (or the sigmoid between): a
    /// `Relu`, a `Clip` with constant bounds, a `HardSwish` (one node) or `Sigmoid(y)` then
    /// `Mul(y, σ)` in either order (two), or GELU's five nodes. `lastUse[v]` is the last node
    /// index reading value `v`.
    static func following(_ index: Int, in graph: Graph, lastUse: [Int]) -> (activation: FusedActivation, nodes: Int)? {
        let nodes = graph.nodes
        guard nodes[index].outputs.count == 1, index + 1 < nodes.count else { return nil }
        let y = nodes[index].outputs[0]
        let next = nodes[index + 1]
        guard !graph.outputs.contains(y) else { return nil }
        if gelu(after: index, in: graph, lastUse: lastUse) { return (.gelu, 5) }
        guard next.inputs.first == y else { return nil }
        if lastUse[y.index] == index + 1, let activation = single(next, graph: graph) {
            return (activation, 1)
        }
        guard next.op is Sigmoid, next.inputs == [y], index + 2 < nodes.count, lastUse[y.index] == index + 2 else { return nil }
        let s = next.outputs[0], mul = nodes[index + 2]
        guard let product = mul.op as? Arithmetic, product.kind == .mul, mul.inputs == [y, s] || mul.inputs == [s, y],
              lastUse[s.index] == index + 2, !graph.outputs.contains(s) else { return nil }
        return (.silu, 2)
    }

    /// Whether the five nodes after `nodes[index]` compute GELU of its output `y` and nothing
    /// else reads `y` or the values between: `d = y / √2` (or `y · (1/√2)`), `e = Erf(d)`,
    /// `a = e + 1`, then either `m = y · a` and `m · 0.5` (TorchScript's exporter) or
    /// `h = a · 0.5` and `y · h` (the dynamo exporter); commuted operands accepted.
    private static func gelu(after index: Int, in graph: Graph, lastUse: [Int]) -> Bool {
        let nodes = graph.nodes
        guard index + 5 < nodes.count else { return false }
        let y = nodes[index].outputs[0]
        let chain = Array(nodes[(index + 1)...(index + 5)])
        guard chain.allSatisfy({ $0.outputs.count == 1 }) else { return false }
        let values = chain.map { $0.outputs[0] }
        /// Whether `node` is `kind` of `operand` and a constant scalar within 1e-6 of `constant`
        /// (in either order, but for `Div` and `Sub`).
        func arithmetic(_ node: Node, _ kind: Arithmetic.Kind, _ operand: ValueID, _ constant: Float) -> Bool {
            guard let op = node.op as? Arithmetic, op.kind == kind, node.inputs.count == 2 else { return false }
            let pairs = kind == .div || kind == .sub ? [(0, 1)] : [(0, 1), (1, 0)]
            return pairs.contains { v, c in
                guard node.inputs[v] == operand, let id = node.inputs[c], let scalar = graph.constants[id],
                      scalar.elementType == .float32, scalar.count == 1 else { return false }
                return abs(scalar.floats[0] - constant) <= 1e-6 * abs(constant)
            }
        }
        /// Whether `node` multiplies `y` by `operand`.
        func timesY(_ node: Node, _ operand: ValueID) -> Bool {
            guard let product = node.op as? Arithmetic, product.kind == .mul else { return false }
            return node.inputs == [y, operand] || node.inputs == [operand, y]
        }
        let scaled = arithmetic(chain[0], .div, y, Float(2).squareRoot()) || arithmetic(chain[0], .mul, y, 1 / Float(2).squareRoot())
        guard scaled, (chain[1].op as? UnaryFunction)?.function == .erf, chain[1].inputs == [values[0]],
              arithmetic(chain[2], .add, values[1], 1) else { return false }
        // The node reading y besides the Div: the first Mul (product first) or the last (half first).
        let secondRead: Int
        if timesY(chain[3], values[2]), arithmetic(chain[4], .mul, values[3], 0.5) {
            secondRead = index + 4
        } else if arithmetic(chain[3], .mul, values[2], 0.5), timesY(chain[4], values[3]) {
            secondRead = index + 5
        } else {
            return false
        }
        // y is read by the Div and one Mul only; each value between by the next node only.
        let reads = [secondRead, index + 2, index + 3, index + 4, index + 5]
        return zip([y] + values.dropLast(), reads).allSatisfy { value, last in
            lastUse[value.index] == last && !graph.outputs.contains(value)
        }
    }

    /// The activation one node applies to its first input, if it is one of those above.
    private static func single(_ node: Node, graph: Graph) -> FusedActivation? {
        switch node.op {
        case is Relu where node.inputs.count == 1:
            return .relu
        case let function as UnaryFunction where function.function == .hardSwish:
            return .hardSwish
        case let clip as Clip:
            // A bound is fixed, a constant scalar input, or absent (unbounded); nil when it is
            // computed at run time.
            func bound(_ fixed: Float?, _ position: Int, _ unbounded: Float) -> Float? {
                if let fixed { return fixed }
                guard position < node.inputs.count, let id = node.inputs[position] else { return unbounded }
                guard let constant = graph.constants[id], constant.elementType == .float32, constant.count == 1 else { return nil }
                return constant.floats[0]
            }
            guard let lo = bound(clip.minimum, 1, -.infinity), let hi = bound(clip.maximum, 2, .infinity) else { return nil }
            return .clip(lo: lo, hi: hi)
        default:
            return nil
        }
    }
}

/// Calls `body` with the kernels' description of `activation`, or NULL for none.
func withKernelActivation<R>(_ activation: FusedActivation?, _ body: (UnsafePointer<fused_activation>?) -> R) -> R {
    guard var description = activation?.kernelDescription else { return body(nil) }
    return withUnsafePointer(to: &description) { body($0) }
}
