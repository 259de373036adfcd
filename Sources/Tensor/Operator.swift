/// Which forward tensors an operator's vector-Jacobian product reads. The executor keeps
/// exactly these alive for the nodes a backward pass will visit and recycles the rest.
public struct BackwardUses: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The node's non-constant inputs (constants are always available).
    public static let inputs = BackwardUses(rawValue: 1)
    /// The node's outputs.
    public static let outputs = BackwardUses(rawValue: 2)
}

/// How a gradient passes through rectifiers (`Relu`) on the way back.
public enum RectifierRule: Sendable, Hashable {
    /// The true derivative: `grad * (x > 0)`.
    case standard
    /// Guided backpropagation (Springenberg et al.): `grad * (x > 0) * (grad > 0)`.
    case guided
}

/// A node's computation: forward, and the vector-Jacobian product (VJP) for its data inputs.
///
/// Operators are immutable values shared by every executor; weights they prepare at
/// load time are read-only. Per-run scratch memory comes from the `Workspace`.
///
/// ## Gradient replicas
/// A backward pass may carry `G` independent gradients through a forward pass of batch
/// `N`: either `G == N` (ordinary backward) or `N == 1 < G` (replicas: several targets
/// for one image, one backward). Gradients are shaped `[G] + shape.dropFirst()`. An
/// operator that cannot keep replicas apart throws `EngineError.replicasUnsupported`,
/// and the executor then runs the replicas one at a time.
public protocol Operator: Sendable {
    /// The ONNX operator type this implements, for messages and listings (e.g. "Conv").
    var opType: String { get }

    /// Computes every output. `outputs` holds one tensor per output whose storage comes
    /// from an earlier run: reuse it (`Tensor.reset(shape:)`) rather than allocating.
    /// An absent optional input is `nil`.
    func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws

    /// Positions of the inputs a gradient can flow to (data inputs, never weights).
    var differentiableInputs: [Int] { get }

    /// The forward tensors `backward` reads.
    var backwardUses: BackwardUses { get }

    /// The vector-Jacobian product: given the gradient of the loss with respect to
    /// output 0, returns the gradient with respect to each input in `wrt` (a subset of
    /// `differentiableInputs`), in the order of `wrt`. Forward tensors not named in
    /// `backwardUses` may be absent (empty) unless they are constants.
    func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor]
}

/// An operator that can apply `Relu` to its output as it writes it. The executor runs it so
/// in place of the pair when nothing else reads (or keeps) the unrectified output, sparing a
/// pass over the tensor and the tensor itself.
public protocol RectifyingOperator: Operator {
    /// `forward`, with `max(y, 0)` written in place of each output value `y` when `rectified`.
    func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace, rectified: Bool) throws
}

extension Operator {
    public var differentiableInputs: [Int] { [0] }
    public var backwardUses: BackwardUses { [] }
}

/// What a VJP needs besides tensors.
public struct BackwardContext {
    public let rule: RectifierRule
    public let workspace: Workspace

    public init(rule: RectifierRule, workspace: Workspace) {
        self.rule = rule
        self.workspace = workspace
    }
}

/// Errors from building or running a graph. Each names what was wrong.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    /// Bad input shapes, attributes or values for an operator.
    case invalid(op: String, String)
    /// The graph is malformed (a missing value, a cycle, a missing feed).
    case graph(String)
    /// A VJP cannot carry several gradient replicas through this operator.
    case replicasUnsupported(op: String)
    /// The operator has no gradient with respect to the requested input.
    case notDifferentiable(op: String, input: Int)

    public var description: String {
        switch self {
        case let .invalid(op, message): "\(op): \(message)"
        case let .graph(message): message
        case let .replicasUnsupported(op): "\(op): cannot carry several gradients in one backward pass"
        case let .notDifferentiable(op, input): "\(op): no gradient with respect to input \(input)"
        }
    }
}

extension Array where Element == Tensor? {
    /// The input at `index`, which the operator requires.
    public func required(_ index: Int, of op: String) throws -> Tensor {
        guard index < count, let tensor = self[index] else {
            throw EngineError.invalid(op: op, "input \(index) is required")
        }
        return tensor
    }

    /// The optional input at `index`, or nil when absent.
    public func optional(_ index: Int) -> Tensor? {
        index < count ? self[index] : nil
    }
}
