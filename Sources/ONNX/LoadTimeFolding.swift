import Tensor

/// Evaluates, while a model is imported, every node whose inputs are all constants, and
/// every `Shape` node (from the static shapes of the graph's inputs), so that shape
/// subgraphs — `Shape → Gather → Unsqueeze → Concat → Reshape`, `Cast` of shapes,
/// `ConstantOfShape`, `Range`, arithmetic on shapes — become constants before the graph
/// ever runs. Integer tensors then never reach the executor at run time and need no
/// gradient; operators that read integer parameters take them from constants.
///
/// Shapes of intermediate values come from a forward pass on zeros of the graph imported
/// so far, run only when a `Shape` node asks for a value not measured yet.
struct LoadTimeFolding {
    /// The shape each graph input is assumed to have (symbolic batch taken as 1), or why
    /// it cannot be known.
    private var inputShapes: [ValueID: Result<[Int], ONNXError>] = [:]
    /// Shapes measured by the last forward pass on zeros, by `ValueID.index`.
    private var measured: [[Int]?] = []
    /// The input shapes that folded constants were computed from.
    private(set) var usedInputShapes: [ValueID: [Int]] = [:]

    /// Declares a graph input and its declared dimensions (nil where symbolic).
    mutating func addInput(_ id: ValueID, name: String, dimensions: [Int?]) {
        let symbolic = dimensions.indices.filter { $0 > 0 && dimensions[$0] == nil }
        let shape = dimensions.enumerated().map { $0.element ?? ($0.offset == 0 ? 1 : 0) }
        if symbolic.isEmpty {
            // The forward pass that measures shapes feeds zeros of this shape.
            let count = shape.reduce(into: 1.0) { $0 *= Double($1) }
            inputShapes[id] = count <= Double(maximumComputedElements) ? .success(shape) : .failure(.invalidGraph(
                "input '\(name)' declares shape \(shape), more than \(maximumComputedElements) elements"))
        } else {
            inputShapes[id] = .failure(.invalidGraph(
                "input '\(name)' has symbolic dimensions at axes \(symbolic), which shape computations in the graph need when the model loads; export it with a fixed input size"))
        }
    }

    /// The outputs of `op` when they can be computed now, else nil (the node runs with the graph).
    mutating func fold(_ op: any Operator, inputs: [ValueID?], node: String, outputCount: Int, in graph: Graph) throws -> [Tensor]? {
        if let op = op as? Shape, let source = inputs.first ?? nil, graph.constants[source] == nil {
            return [op.extents(of: try shape(of: source, in: graph, for: node))]
        }
        let present = inputs.compactMap { $0 }
        guard !present.isEmpty, present.allSatisfy({ graph.constants[$0] != nil }) else { return nil }
        let values = inputs.map { $0.flatMap { graph.constants[$0] } }
        var outputs = Array(repeating: Tensor.empty, count: outputCount)
        do {
            try op.forward(values, into: &outputs, workspace: Workspace())
        } catch let error as EngineError {
            throw ONNXError.invalidNode(op: op.opType, node: node, reason: "evaluating it when the model loads: \(error)")
        }
        return outputs
    }

    /// The shape `value` has when the graph runs on its inputs' assumed shapes.
    private mutating func shape(of value: ValueID, in graph: Graph, for node: String) throws -> [Int] {
        if let known = inputShapes[value] {
            let shape = try known.get()
            usedInputShapes[value] = shape
            return shape
        }
        if value.index >= measured.count || measured[value.index] == nil {
            var feeds: [ValueID: Tensor] = [:]
            for input in graph.inputs {
                let shape = try inputShapes[input]?.get() ?? []
                usedInputShapes[input] = shape
                feeds[input] = Tensor.zeros(shape)
            }
            let executor = Executor(graph: graph)
            do {
                try executor.forward(feeds)
            } catch {
                throw ONNXError.invalidGraph("measuring the shape that node '\(node)' (Shape) reads: \(error)")
            }
            measured = executor.shapes
        }
        guard value.index < measured.count, let shape = measured[value.index] else {
            throw ONNXError.invalidGraph("node '\(node)' (Shape) reads '\(graph.name(of: value))', whose shape is not known when the model loads")
        }
        return shape
    }
}
