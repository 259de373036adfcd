import Testing
@testable import Tensor

/// An executor holding an `OperatorProfile` adds each node's forward time (under its kind:
/// the operator, a convolution's path, the activation fused into it) and each backward step's.
@Suite struct OperatorProfileTests {
    @Test func everyNodeRunIsTimedUnderItsKind() throws {
        var random = TestRandom(seed: 81)
        var graph = Graph()
        let x = graph.addValue(named: "x"), c = graph.addValue(named: "c"), r = graph.addValue(named: "r")
        let y = graph.addValue(named: "y")
        graph.inputs = [x]
        let w = graph.addConstant(named: "w", random.tensor([4, 3, 3, 3]))
        graph.append(Node(name: "conv", op: Conv(window: try Window(kernel: [3, 3], pads: [1, 1, 1, 1], op: "Conv")),
                          inputs: [x, w], outputs: [c]))
        graph.append(Node(name: "relu", op: Relu(), inputs: [c], outputs: [r]))
        graph.append(Node(name: "pool", op: GlobalAveragePool(), inputs: [r], outputs: [y]))
        graph.outputs = [y]
        let executor = Executor(graph: graph)
        let profile = OperatorProfile()
        executor.profile = profile
        let plan = try BackwardPlan(graph: graph, from: y, to: [r])
        for _ in 0..<2 {
            try executor.forward([x: random.tensor([1, 3, 8, 8])], preparing: [plan])
            _ = try executor.backward(plan, seed: random.tensor([1, 4, 1, 1]))
        }
        // The Relu ran fused into the convolution: no node of its own forward; r is the layer.
        let rows = Dictionary(uniqueKeysWithValues: profile.rows.map { ($0.kind, $0) })
        #expect(Set(rows.keys) == ["Conv im2col + Relu", "GlobalAveragePool"])
        #expect(rows["Conv im2col + Relu"]!.forward > .zero && rows["Conv im2col + Relu"]!.backward == .zero)
        #expect(rows["GlobalAveragePool"]!.forward > .zero && rows["GlobalAveragePool"]!.backward > .zero)
        #expect(profile.costliest(1).count == 1 && profile.costliest(5).count == 2)
        profile.reset()
        #expect(profile.rows.isEmpty)
        executor.profile = nil
        try executor.forward([x: random.tensor([1, 3, 8, 8])])
        #expect(profile.rows.isEmpty)
    }
}
