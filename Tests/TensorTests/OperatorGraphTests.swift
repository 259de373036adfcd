import Testing
@testable import Tensor

/// Every operator inside the executor: it releases the forward values a VJP does not
/// declare in `backwardUses`, so a wrong declaration fails here, not in the unit tests
/// (which pass every input).
@Suite struct OperatorGraphTests {
    /// `x [1, 2, 6, 6]` through a chain using each operator, to `y [1, 2, 3]`.
    func network() throws -> (Graph, input: ValueID, output: ValueID) {
        var random = TestRandom(seed: 90)
        var graph = Graph()
        let x = graph.addValue(named: "x")
        graph.inputs = [x]
        var count = 0
        func node(_ op: any Operator, _ inputs: [ValueID?], outputs: Int = 1) -> ValueID {
            count += 1
            let ids = (0..<outputs).map { graph.addValue(named: "\(op.opType)_\(count):\($0)") }
            graph.append(Node(name: "\(op.opType)_\(count)", op: op, inputs: inputs, outputs: ids))
            return ids[0]
        }
        func constant(_ tensor: Tensor) -> ValueID {
            count += 1
            return graph.addConstant(named: "c\(count)", tensor)
        }
        let bn = [random.tensor([4]), random.tensor([4]), random.tensor([4]), random.tensor([4], in: 0.5...1.5)]
        let conv = node(Conv(window: try Window(kernel: [3, 3], pads: [1, 1, 1, 1], op: "Conv")),
                        [x, constant(random.tensor([4, 2, 3, 3])), constant(random.tensor([4]))])
        let norm = node(try BatchNormalization(parameters: bn), [conv] + bn.map(constant))
        let lrn = node(try LRN(size: 3, alpha: 0.5, beta: 0.75, bias: 1), [norm])
        let leaky = node(LeakyRelu(alpha: 0.1), [lrn])
        let pool = node(MaxPool(window: try Window(kernel: [2, 2], strides: [2, 2], op: "MaxPool")), [leaky])
        let scaled = node(Arithmetic(.mul), [pool, constant(random.tensor([1, 4, 1, 1]))])
        let sum = node(Arithmetic(.add), [pool, scaled])
        let average = node(AveragePool(window: try Window(kernel: [3, 3], pads: [1, 1, 1, 1], op: "AveragePool")), [sum])
        let nhwc = node(Transpose(perm: [0, 2, 3, 1]), [average])
        let nchw = node(Transpose(perm: [0, 3, 1, 2]), [nhwc])
        let joined = node(Concat(axis: 1, inputCount: 2), [nchw, sum])
        let squashed = node(Sigmoid(), [joined])
        let clipped = node(Clip(minimum: -5, maximum: 5), [squashed])
        let global = node(GlobalAveragePool(), [clipped])
        let divided = node(Arithmetic(.div), [clipped, node(Arithmetic(.sub), [global, constant(.filled([], with: 2))])])
        let flat = node(Flatten(axis: 1), [divided])
        let dense = node(Gemm(transB: true), [flat, constant(random.tensor([10, 72])), constant(random.tensor([10]))])
        let shape = node(Shape(), [dense])
        let batch = node(Gather(axis: 0), [shape, constant(Tensor(shape: [1], integers: [0]))])
        let target = node(Concat(axis: 0, inputCount: 2), [batch, constant(Tensor(shape: [2], integers: [2, 5]))])
        let rows = node(Reshape(), [dense, target])
        let lifted = node(Unsqueeze(axes: [1]), [rows])
        let lowered = node(Squeeze(axes: [1]), [lifted])
        let soft = node(Softmax(axis: 2, coerced: false), [lowered])
        let kept = node(Dropout(), [node(Identity(), [soft])], outputs: 2)
        let product = node(MatMul(), [kept, constant(random.tensor([5, 4]))])
        let y = node(Gather(axis: 2), [product, constant(Tensor(shape: [3], integers: [0, 3, 3]))])
        graph.outputs = [y]
        try graph.validate()
        return (graph, x, y)
    }

    @Test func gradientMatchesFiniteDifferencesThroughTheExecutor() throws {
        let (graph, input, output) = try network()
        let plan = try BackwardPlan(graph: graph, from: output, to: [input])
        var random = TestRandom(seed: 91)
        let x = random.tensor([1, 2, 6, 6])
        let executor = Executor(graph: graph)
        let y = try executor.forward([input: x], preparing: [plan]).tensor(output)
        #expect(y.shape == [1, 2, 3])
        let v = random.tensor(y.shape)
        let analytic = try executor.backward(plan, seed: v).tensor(input)
        let step: Float = 1e-3
        for i in 0..<x.count {
            var shifted = x
            func objective(_ value: Float) throws -> Double {
                shifted.floats[i] = value
                let y = try Executor(graph: graph).forward([input: shifted]).tensor(output)
                return zip(y.floats, v.floats).reduce(0) { $0 + Double($1.0) * Double($1.1) }
            }
            let numeric = Float((try objective(x.floats[i] + step) - objective(x.floats[i] - step)) / (2 * Double(step)))
            #expect(abs(numeric - analytic.floats[i]) <= 2e-3 * max(1, abs(numeric)), "element \(i)")
        }
    }

    @Test func replicasMatchSeparatePassesThroughTheExecutor() throws {
        let (graph, input, output) = try network()
        let plan = try BackwardPlan(graph: graph, from: output, to: [input])
        var random = TestRandom(seed: 92)
        let executor = Executor(graph: graph)
        try executor.forward([input: random.tensor([1, 2, 6, 6])], preparing: [plan])
        let seeds = (0..<3).map { _ in random.tensor([1, 2, 3]) }
        let together = try executor.backward(plan, seed: Tensor(shape: [3, 2, 3], floats: seeds.flatMap(\.floats))).tensor(input)
        let separate = try seeds.flatMap { try executor.backward(plan, seed: $0).tensor(input).floats }
        #expect(together.shape == [3, 2, 6, 6])
        #expect(isClose(together.floats, separate, tolerance: 1e-5))
    }
}
