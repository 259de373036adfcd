/// Which nodes a backward pass visits, computed once per (graph, output, targets).
///
/// A value needs a gradient when it lies on a path from a target to the seeded output;
/// only nodes with such an input are visited, and only those inputs get gradients. So a
/// Grad-CAM at `relu5_3` runs the head's VJPs and nothing below the target layer.
public struct BackwardPlan: Sendable {
    /// Where the seed gradient enters.
    public let output: ValueID
    /// Where gradients are returned.
    public let targets: Set<ValueID>
    public let rule: RectifierRule
    /// Node indices in reverse topological order, each with the input positions to differentiate.
    let steps: [(node: Int, wrt: [Int])]
    /// Forward values the VJPs read; a forward pass run with this plan keeps them.
    public let retained: Set<ValueID>

    public init(graph: Graph, from output: ValueID, to targets: Set<ValueID>, rule: RectifierRule = .standard) throws {
        self.output = output
        self.targets = targets
        self.rule = rule

        // Values the targets reach through differentiable inputs.
        var reached = targets
        for node in graph.nodes {
            let fed = node.op.differentiableInputs.contains { position in
                position < node.inputs.count && node.inputs[position].map(reached.contains) == true
            }
            if fed { reached.formUnion(node.outputs) }
        }
        guard reached.contains(output) else {
            let names = targets.map { "'\(graph.name(of: $0))'" }.sorted().joined(separator: ", ")
            throw EngineError.graph("'\(graph.name(of: output))' does not depend on \(names) through differentiable inputs")
        }
        // Of those, the values the output depends on.
        var needed: Set<ValueID> = [output]
        var steps: [(node: Int, wrt: [Int])] = []
        var retained: Set<ValueID> = []
        for index in graph.nodes.indices.reversed() {
            let node = graph.nodes[index]
            guard node.outputs.first.map(needed.contains) == true else { continue }
            let wrt = node.op.differentiableInputs.filter { position in
                position < node.inputs.count && node.inputs[position].map(reached.contains) == true
            }
            guard !wrt.isEmpty else { continue }
            for position in wrt { needed.insert(node.inputs[position]!) }
            steps.append((index, wrt))
            let uses = node.op.backwardUses
            for position in uses.inputs where position < node.inputs.count {
                if let input = node.inputs[position], graph.constants[input] == nil { retained.insert(input) }
            }
            if uses.outputs { retained.formUnion(node.outputs) }
        }
        self.steps = steps
        self.retained = retained
    }

    /// Indices of the nodes whose VJP runs, in the order they run.
    public var nodeIndices: [Int] { steps.map(\.node) }
}
