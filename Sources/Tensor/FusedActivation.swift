import CKernels

/// An activation that an operator applies to its output as it writes it (`ActivatingOperator`),
/// in place of the node (or the Sigmoid·Mul pair) that would apply it: one pass over the
/// tensor fewer, and no tensor for the value before the activation. The kernels compute it in C
/// (`activation.h`), equal to the separate operators up to float rounding:
/// - `relu`: `max(y, 0)` (`Relu`);
/// - `clip`: `min(max(y, lo), hi)` (`Clip` with constant bounds; ReLU6 is `0...6`);
/// - `hardSwish`: `y · min(max(y/6 + 1/2, 0), 1)` (`HardSwish`);
/// - `silu`: `y · σ(y) = y / (1 + e^−y)` (`Sigmoid` then `Mul` of its input and output).
public enum FusedActivation: Sendable, Hashable {
    case relu
    case clip(lo: Float, hi: Float)
    case hardSwish
    case silu

    /// The C kernels' description.
    var kernelDescription: fused_activation {
        switch self {
        case .relu: fused_activation(kind: FUSED_RELU, lo: 0, hi: 0)
        case .clip(let lo, let hi): fused_activation(kind: FUSED_CLIP, lo: lo, hi: hi)
        case .hardSwish: fused_activation(kind: FUSED_HARD_SWISH, lo: 0, hi: 0)
        case .silu: fused_activation(kind: FUSED_SILU, lo: 0, hi: 0)
        }
    }

    /// The activation that the nodes right after `nodes[index]` apply to its only output `y`,
    /// and how many nodes that is, when nothing else reads `y` (or the sigmoid between): a
    /// `Relu`, a `Clip` with constant bounds, a `HardSwish` (one node) or `Sigmoid(y)` then
    /// `Mul(y, σ)` in either order (two). `lastUse[v]` is the last node index reading value `v`.
    static func following(_ index: Int, in graph: Graph, lastUse: [Int]) -> (activation: FusedActivation, nodes: Int)? {
        let nodes = graph.nodes
        guard nodes[index].outputs.count == 1, index + 1 < nodes.count else { return nil }
        let y = nodes[index].outputs[0]
        let next = nodes[index + 1]
        guard !graph.outputs.contains(y), next.inputs.first == y else { return nil }
        if lastUse[y.index] == index + 1, let activation = single(next, graph: graph) {
            return (activation, 1)
        }
        guard next.op is Sigmoid, next.inputs == [y], index + 2 < nodes.count, lastUse[y.index] == index + 2 else { return nil }
        let s = next.outputs[0], mul = nodes[index + 2]
        guard let product = mul.op as? Arithmetic, product.kind == .mul, mul.inputs == [y, s] || mul.inputs == [s, y],
              lastUse[s.index] == index + 2, !graph.outputs.contains(s) else { return nil }
        return (.silu, 2)
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
