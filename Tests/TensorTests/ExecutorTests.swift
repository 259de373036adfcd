import Testing
@testable import Tensor

/// The executor's contract: forward keeps what is asked and recycles the rest, buffers are
/// reused between runs, and a backward pass visits only the nodes between its seed and its
/// targets.
@Suite struct ExecutorTests {
    /// x -> Relu -> a -> Relu -> b -> Relu -> y, each a [1, 4] tensor.
    func chain() -> (Graph, x: ValueID, a: ValueID, b: ValueID, y: ValueID) {
        var graph = Graph()
        let x = graph.addValue(named: "x")
        graph.inputs = [x]
        var previous = x
        var values: [ValueID] = []
        for name in ["a", "b", "y"] {
            let value = graph.addValue(named: name)
            graph.append(Node(name: "relu_\(name)", op: Relu(), inputs: [previous], outputs: [value]))
            values.append(value)
            previous = value
        }
        graph.outputs = [previous]
        return (graph, x, values[0], values[1], values[2])
    }

    let input = Tensor(shape: [1, 4], floats: [-1, 2, -3, 4])

    @Test func forwardKeepsWhatIsAskedAndNothingElse() throws {
        let (graph, x, a, b, y) = chain()
        let executor = Executor(graph: graph)
        let results = try executor.forward([x: input], keep: [a])
        #expect(results.ids == [a, y])
        #expect(try results.tensor(a).floats == [0, 2, 0, 4])
        #expect(throws: EngineError.self) { try executor.value(b) }
    }

    @Test func buffersAreReusedBetweenRuns() throws {
        let (graph, x, _, _, _) = chain()
        let executor = Executor(graph: graph)
        try executor.forward([x: input])
        let first = executor.heldFloats
        // From the second run on, freed buffers are taken again: a steady state no larger.
        try executor.forward([x: input])
        let steady = executor.heldFloats
        for _ in 0..<5 { try executor.forward([x: input]) }
        #expect(executor.heldFloats == steady && steady <= first)
        #expect(executor.forwardCount == 7)
    }

    /// A pass from an inner value can be prepared for a backward pass to that value (each
    /// row its own gradient), and keeps the buffers it did not use for the next full pass.
    @Test func aPassFromAnInnerValuePreparesBackwardAndKeepsBuffers() throws {
        let (graph, x, _, b, y) = chain()
        let executor = Executor(graph: graph)
        try executor.forward([x: input])
        try executor.forward([x: input])
        let steady = executor.heldFloats
        try executor.forward(from: b, input)
        #expect(executor.heldFloats >= steady)
        let plan = try BackwardPlan(graph: graph, from: y, to: [b])
        try executor.forward(from: b, Tensor(shape: [2, 4], floats: [1, -2, 3, -4, -1, 2, -3, 4]), preparing: [plan])
        let gradient = try executor.backward(plan, seed: Tensor(shape: [2, 4], floats: [Float](repeating: 1, count: 8)))
        #expect(try gradient.tensor(b).floats == [1, 0, 1, 0, 0, 1, 0, 1])
    }

    @Test func backwardVisitsOnlyTheNodesBetweenSeedAndTarget() throws {
        let (graph, x, a, b, y) = chain()
        let plan = try BackwardPlan(graph: graph, from: y, to: [b])
        #expect(plan.nodeIndices == [2])
        #expect(plan.retained == [y])
        let executor = Executor(graph: graph)
        try executor.forward([x: input], preparing: [plan])
        let gradient = try executor.backward(plan, seed: Tensor(shape: [1, 4], floats: [1, 1, 1, 1]))
        #expect(try gradient.tensor(b).floats == [0, 1, 0, 1])
        let full = try BackwardPlan(graph: graph, from: y, to: [x, a])
        #expect(full.nodeIndices == [2, 1, 0])
    }

    @Test func backwardNeedsTheForwardPassPreparedForIt() throws {
        let (graph, x, _, b, y) = chain()
        let executor = Executor(graph: graph)
        try executor.forward([x: input])
        let plan = try BackwardPlan(graph: graph, from: y, to: [b])
        // Outputs are kept anyway (y is the graph output), so this plan's VJP can run...
        #expect(throws: Never.self) { try executor.backward(plan, seed: .filled([1, 4], with: 1)) }
        // ...but one reaching further needs values that were recycled.
        let deeper = try BackwardPlan(graph: graph, from: y, to: [x])
        #expect(throws: EngineError.self) { try executor.backward(deeper, seed: .filled([1, 4], with: 1)) }
    }

    /// x -> Relu -> a -> Conv -> b, then c = b + a -> Relu -> y: the VJPs of `Conv` (for its
    /// input) and `Add` need only shapes, so a forward pass prepared for a gradient at `a`
    /// keeps nothing but `y`, which the last `Relu` reads. (When `BackwardUses` could only
    /// say "the inputs", `Conv` kept `a` and `Add` kept `a` and `b`.)
    @Test func convolutionAndAdditionKeepNoInputForTheirGradients() throws {
        var random = TestRandom(seed: 5)
        var graph = Graph()
        let x = graph.addValue(named: "x")
        graph.inputs = [x]
        let w = graph.addConstant(named: "w", random.tensor([2, 2, 3, 3]))
        let (a, b, c, y) = (graph.addValue(named: "a"), graph.addValue(named: "b"), graph.addValue(named: "c"), graph.addValue(named: "y"))
        let window = try Window(kernel: [3, 3], pads: [1, 1, 1, 1], op: "Conv")
        graph.append(Node(name: "relu_a", op: Relu(), inputs: [x], outputs: [a]))
        graph.append(Node(name: "conv", op: Conv(window: window), inputs: [a, w], outputs: [b]))
        graph.append(Node(name: "add", op: Arithmetic(.add), inputs: [b, a], outputs: [c]))
        graph.append(Node(name: "relu_y", op: Relu(), inputs: [c], outputs: [y]))
        graph.outputs = [y]
        let plan = try BackwardPlan(graph: graph, from: y, to: [a])
        #expect(plan.retained == [y])
        let image = random.tensor([1, 2, 4, 4]), seed = random.tensor([1, 2, 4, 4])
        let executor = Executor(graph: graph)
        try executor.forward([x: image], preparing: [plan])
        #expect(executor.keptValues == [y])
        let gradient = try executor.backward(plan, seed: seed).tensor(a)
        // The same gradient as from a pass that kept every value.
        let keeping = Executor(graph: graph)
        try keeping.forward([x: image], keep: [a, b, c], preparing: [plan])
        #expect(keeping.keptValues == [a, b, c, y])
        #expect(try keeping.backward(plan, seed: seed).tensor(a) == gradient)
    }

    @Test func unreachableTargetsAreRefused() throws {
        let (graph, _, _, b, _) = chain()
        #expect(throws: EngineError.self) { try BackwardPlan(graph: graph, from: b, to: [graph.outputs[0]]) }
    }
}
