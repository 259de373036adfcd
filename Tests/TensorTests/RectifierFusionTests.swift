import Foundation
import Testing
@testable import Tensor

/// A `Conv` followed by a `Relu` that alone reads its output runs as one node writing the
/// rectified values (`RectifyingOperator`), unless the unrectified output is kept, read by
/// another node or a graph output. Either way the values and gradients are the same.
@Suite struct RectifierFusionTests {
    /// Records whether each forward call was asked to rectify.
    final class CallLog: @unchecked Sendable {
        private let lock = NSLock()
        private var calls: [Bool] = []
        func record(_ rectified: Bool) { lock.withLock { calls.append(rectified) } }
        var rectified: [Bool] { lock.withLock { calls } }
    }

    /// A `Conv` that logs how it was run.
    struct LoggedConv: RectifyingOperator {
        let conv: Conv
        let log: CallLog
        var opType: String { conv.opType }
        var backwardUses: BackwardUses { conv.backwardUses }
        func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
            log.record(false)
            try conv.forward(inputs, into: &outputs, workspace: workspace)
        }
        func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace, rectified: Bool) throws {
            log.record(rectified)
            try conv.forward(inputs, into: &outputs, workspace: workspace, rectified: rectified)
        }
        func backward(_ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext) throws -> [Tensor] {
            try conv.backward(gradient, inputs: inputs, outputs: outputs, wrt: wrt, context: context)
        }
    }

    struct Network {
        let graph: Graph
        let x: ValueID, c: ValueID, r: ValueID, y: ValueID
        let log: CallLog
    }

    /// x [1, 16, 30, 30] -> conv (3x3, 16 -> 8, bias; Winograd or im2col) -> c -> Relu -> r
    /// -> conv (3x3, 8 -> 2) -> y; c is also read by a second Relu, or is also a graph output.
    func network(winograd: Bool, cIsAlsoRead: Bool = false, cIsAnOutput: Bool = false) throws -> Network {
        var random = TestRandom(seed: 77)
        var graph = Graph()
        let x = graph.addValue(named: "x")
        graph.inputs = [x]
        let window = try Window(kernel: [3, 3], pads: [1, 1, 1, 1], op: "Conv")
        let w1 = random.tensor([8, 16, 3, 3]), w2 = random.tensor([2, 8, 3, 3])
        let w1ID = graph.addConstant(named: "w1", w1), b1 = graph.addConstant(named: "b1", random.tensor([8]))
        let w2ID = graph.addConstant(named: "w2", w2)
        let c = graph.addValue(named: "c"), r = graph.addValue(named: "r"), y = graph.addValue(named: "y")
        let first = Conv(window: window).preparing(weights: w1, minimumOutputPixels: winograd ? 0 : .max)
        let log = CallLog()
        graph.append(Node(name: "conv1", op: LoggedConv(conv: first, log: log), inputs: [x, w1ID, b1], outputs: [c]))
        graph.append(Node(name: "relu", op: Relu(), inputs: [c], outputs: [r]))
        graph.append(Node(name: "conv2", op: Conv(window: window), inputs: [r, w2ID], outputs: [y]))
        graph.outputs = cIsAnOutput ? [y, c] : [y]
        if cIsAlsoRead {
            let s = graph.addValue(named: "s")
            graph.append(Node(name: "relu2", op: Relu(), inputs: [c], outputs: [s]))
            graph.outputs.append(s)
        }
        return Network(graph: graph, x: x, c: c, r: r, y: y, log: log)
    }

    let image = { var random = TestRandom(seed: 78); return random.tensor([1, 16, 30, 30]) }()

    @Test(arguments: [true, false])
    func fusedAndSeparateRunsAgree(winograd: Bool) throws {
        let net = try network(winograd: winograd)
        let executor = Executor(graph: net.graph, threads: 2)
        let fused = try executor.forward([net.x: image], keep: [net.r])
        let separate = try executor.forward([net.x: image], keep: [net.c, net.r])
        #expect(net.log.rectified == [true, false])
        // Kept, c holds the unrectified values, and r is its positive part either way.
        let c = try separate.tensor(net.c)
        #expect(c.floats.contains { $0 < 0 })
        #expect(try separate.tensor(net.r).floats == c.floats.map { max($0, 0) })
        #expect(try fused.tensor(net.r).floats == separate.tensor(net.r).floats)
        #expect(try fused.tensor(net.y).floats == separate.tensor(net.y).floats)
    }

    @Test func gradientsThroughTheFusedPairMatchTheSeparateOnes() throws {
        let net = try network(winograd: true)
        let plan = try BackwardPlan(graph: net.graph, from: net.y, to: [net.x])
        #expect(!plan.retained.contains(net.c))
        let seed = { var random = TestRandom(seed: 79); return random.tensor([1, 2, 30, 30]) }()
        let executor = Executor(graph: net.graph)
        try executor.forward([net.x: image], preparing: [plan])
        let fused = try executor.backward(plan, seed: seed).tensor(net.x)
        try executor.forward([net.x: image], keep: [net.c], preparing: [plan])
        let separate = try executor.backward(plan, seed: seed).tensor(net.x)
        #expect(net.log.rectified == [true, false])
        #expect(fused.floats == separate.floats)
    }

    @Test func anOutputReadElsewhereOrReturnedIsNotFused() throws {
        for net in [try network(winograd: true, cIsAlsoRead: true), try network(winograd: true, cIsAnOutput: true)] {
            let executor = Executor(graph: net.graph)
            let results = try executor.forward([net.x: image])
            #expect(net.log.rectified == [false])
            #expect(results.ids.contains(net.y))
        }
    }
}
