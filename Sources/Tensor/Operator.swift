/// Which forward values an operator's vector-Jacobian product reads. The executor keeps
/// exactly these alive for the nodes a backward pass will visit and recycles the rest.
///
/// Only data counts: every input's *shape* reaches the VJP anyway, in
/// `BackwardContext.inputShapes`, so an operator that needs no more than the shape (a
/// reshape, a pooling window, the `X` of `Conv`, either side of `Add`) names nothing and
/// lets its input be recycled.
public struct BackwardUses: Sendable, Hashable {
    /// Positions of the inputs whose values are read; positions past a node's inputs, and
    /// inputs that are constants (always available), are ignored.
    public var inputs: Set<Int>
    /// Whether the node's outputs are read.
    public var outputs: Bool

    public init(inputs: Set<Int> = [], outputs: Bool = false) {
        self.inputs = inputs
        self.outputs = outputs
    }

    /// No forward value: the VJP needs at most shapes.
    public static let nothing = BackwardUses()
    /// The node's outputs only.
    public static let outputs = BackwardUses(outputs: true)

    /// The inputs at `positions` only.
    public static func inputs(_ positions: Int...) -> BackwardUses {
        BackwardUses(inputs: Set(positions))
    }
}

/// How a gradient passes through rectifiers (`Relu`) on the way back.
public enum RectifierRule: Sendable, Hashable {
    /// The true derivative: `grad * (x > 0)`.
    case standard
    /// Guided backpropagation (Springenberg et al.): `grad * (x > 0) * (grad > 0)`.
    case guided
    /// Deconvolution (Zeiler and Fergus; Captum's `Deconvolution`): `grad * (grad > 0)`, the
    /// ReLU applied to the gradient whatever the forward sign.
    case deconvolution
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

    /// The forward values `backward` reads (beyond every input's shape).
    var backwardUses: BackwardUses { get }

    /// The vector-Jacobian product: given the gradient of the loss with respect to
    /// output 0, returns the gradient with respect to each input in `wrt` (a subset of
    /// `differentiableInputs`), in the order of `wrt`. Forward tensors not named in
    /// `backwardUses` may be absent (nil inputs, empty outputs) unless they are constants;
    /// their shapes are in `context.inputShapes`.
    func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor]
}

/// An operator that can apply an activation to its output as it writes it (`FusedActivation`).
/// The executor runs it so in place of the operator and its activation when nothing else
/// reads (or keeps) the output before the activation, sparing a pass over the tensor and the
/// tensor itself.
public protocol ActivatingOperator: Operator {
    /// `forward`, with `activation` (when not nil) applied to each output value as it is written.
    func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace, activation: FusedActivation?) throws
}

extension Operator {
    public var differentiableInputs: [Int] { [0] }
    public var backwardUses: BackwardUses { .nothing }
}

/// What a VJP needs besides the tensors it keeps.
public struct BackwardContext {
    public let rule: RectifierRule
    public let workspace: Workspace
    /// The forward shape of each input, by position (nil where an optional input is
    /// absent), whether or not its data was kept.
    public let inputShapes: [[Int]?]

    public init(rule: RectifierRule, workspace: Workspace, inputShapes: [[Int]?]) {
        self.rule = rule
        self.workspace = workspace
        self.inputShapes = inputShapes
    }

    /// The shape of the input at `position`, which the operator requires.
    public func inputShape(_ position: Int, of op: String) throws -> [Int] {
        guard position < inputShapes.count, let shape = inputShapes[position] else {
            throw EngineError.invalid(op: op, "input \(position) is required")
        }
        return shape
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

}

extension Array {
    /// The optional element at `index` (an input, an input's shape), or nil when absent.
    public func optional<Wrapped>(_ index: Int) -> Wrapped? where Element == Wrapped? {
        index < count ? self[index] : nil
    }
}
