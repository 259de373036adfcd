/// The tensors a forward or backward pass returns, by value: a forward pass's graph outputs
/// and kept values, or a backward pass's gradients at its targets.
///
/// Looking up a value the pass did not return throws an error naming it, so a caller's
/// mistake (asking for a layer the pass was not told to keep) reads as a message rather
/// than a trap.
public struct PassResult {
    private let tensors: [ValueID: Tensor]
    private let graph: Graph
    /// What the values are, for the message: "forward pass" or "backward pass".
    private let pass: String

    init(_ tensors: [ValueID: Tensor], graph: Graph, pass: String) {
        self.tensors = tensors
        self.graph = graph
        self.pass = pass
    }

    /// The values returned.
    public var ids: Set<ValueID> { Set(tensors.keys) }

    /// The tensor of `id`.
    /// - Throws: `EngineError.graph` naming the value when the pass did not return it.
    public func tensor(_ id: ValueID) throws(EngineError) -> Tensor {
        guard let tensor = tensors[id] else {
            throw .graph("the \(pass) did not return '\(graph.name(of: id))'")
        }
        return tensor
    }
}
