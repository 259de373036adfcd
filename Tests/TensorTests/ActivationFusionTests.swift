import Foundation
import Testing
@testable import Tensor

/// A `Conv` followed by an activation that alone reads its output (`Relu`, `Clip` with
/// constant bounds, `HardSwish`, `Sigmoid` and `Mul`: SiLU) runs as one node writing the
/// activated values (`ActivatingOperator`), unless the output before the activation is kept,
/// read by another node or a graph output. Either way the values and gradients are the same
/// (up to float rounding for SiLU, whose exponential the kernels compute themselves).
@Suite struct ActivationFusionTests {
    /// Records the activation each forward call was asked to apply.
    final class CallLog: @unchecked Sendable {
        private let lock = NSLock()
        private var calls: [FusedActivation?] = []
        func record(_ activation: FusedActivation?) { lock.withLock { calls.append(activation) } }
        var activations: [FusedActivation?] { lock.withLock { calls } }
    }

    /// The activation nodes a network puts after its first convolution.
    enum Activation: CaseIterable {
        case relu, relu6, hardSwish, silu

        var fused: FusedActivation {
            switch self {
            case .relu: .relu
            case .relu6: .clip(lo: 0, hi: 6)
            case .hardSwish: .hardSwish
            case .silu: .silu
            }
        }

        /// Appends the nodes computing `r` from `c`.
        func append(to graph: inout Graph, from c: ValueID, to r: ValueID) {
            switch self {
            case .relu:
                graph.append(Node(name: "relu", op: Relu(), inputs: [c], outputs: [r]))
            case .relu6:
                let lo = graph.addConstant(named: "lo", Tensor(shape: [], floats: [0]))
                let hi = graph.addConstant(named: "hi", Tensor(shape: [], floats: [6]))
                graph.append(Node(name: "clip", op: Clip(), inputs: [c, lo, hi], outputs: [r]))
            case .hardSwish:
                graph.append(Node(name: "hardswish", op: UnaryFunction(.hardSwish), inputs: [c], outputs: [r]))
            case .silu:
                let s = graph.addValue(named: "s")
                graph.append(Node(name: "sigmoid", op: Sigmoid(), inputs: [c], outputs: [s]))
                graph.append(Node(name: "mul", op: Arithmetic(.mul), inputs: [s, c], outputs: [r]))
            }
        }

        /// The activation on one value, as its nodes compute it.
        func apply(_ c: Tensor) throws -> Tensor {
            var graph = Graph()
            let input = graph.addValue(named: "c"), output = graph.addValue(named: "r")
            graph.inputs = [input]
            append(to: &graph, from: input, to: output)
            graph.outputs = [output]
            return try Executor(graph: graph).forward([input: c]).tensor(output)
        }
    }

    /// A `Conv` that logs how it was run.
    struct LoggedConv: ActivatingOperator {
        let conv: Conv
        let log: CallLog
        var opType: String { conv.opType }
        var backwardUses: BackwardUses { conv.backwardUses }
        func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
            log.record(nil)
            try conv.forward(inputs, into: &outputs, workspace: workspace)
        }
        func forward(
            _ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace, activation: FusedActivation?
        ) throws {
            log.record(activation)
            try conv.forward(inputs, into: &outputs, workspace: workspace, activation: activation)
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

    /// x [1, 16, 30, 30] -> conv (3x3, 16 -> 8, bias; Winograd or im2col) -> c -> activation -> r
    /// -> conv (3x3, 8 -> 2) -> y; c is also read by a second Relu, or is also a graph output.
    func network(
        winograd: Bool, activation: Activation = .relu, cIsAlsoRead: Bool = false, cIsAnOutput: Bool = false
    ) throws -> Network {
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
        activation.append(to: &graph, from: c, to: r)
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

    @Test(arguments: [true, false], Activation.allCases)
    func fusedAndSeparateRunsAgree(winograd: Bool, activation: Activation) throws {
        let net = try network(winograd: winograd, activation: activation)
        let executor = Executor(graph: net.graph, threads: 2)
        let fused = try executor.forward([net.x: image], keep: [net.r])
        let separate = try executor.forward([net.x: image], keep: [net.c, net.r])
        #expect(net.log.activations == [activation.fused, nil])
        // Kept, c holds the values before the activation, and r is the activation of c either
        // way: the same floats, but for SiLU's exponential (its own in the kernels).
        let c = try separate.tensor(net.c)
        #expect(c.floats.contains { $0 < -3 } && c.floats.contains { $0 > 6 })
        let tolerance: Float = activation == .silu ? 1e-6 : 0
        #expect(try separate.tensor(net.r).floats == activation.apply(c).floats)
        #expect(try isClose(fused.tensor(net.r).floats, separate.tensor(net.r).floats, tolerance: tolerance))
        #expect(try isClose(fused.tensor(net.y).floats, separate.tensor(net.y).floats, tolerance: 10 * tolerance))
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
        #expect(net.log.activations == [.relu, nil])
        #expect(fused.floats == separate.floats)
    }

    @Test(arguments: [Activation.relu6, .hardSwish, .silu])
    func anActivationWhoseGradientReadsItsInputIsNotFusedBeforeABackwardPass(activation: Activation) throws {
        let net = try network(winograd: true, activation: activation)
        let plan = try BackwardPlan(graph: net.graph, from: net.y, to: [net.x])
        #expect(plan.retained.contains(net.c))
        try Executor(graph: net.graph).forward([net.x: image], preparing: [plan])
        #expect(net.log.activations == [nil])
    }

    @Test func anOutputReadElsewhereOrReturnedIsNotFused() throws {
        for net in [try network(winograd: true, cIsAlsoRead: true), try network(winograd: true, cIsAnOutput: true)] {
            let executor = Executor(graph: net.graph)
            let results = try executor.forward([net.x: image])
            #expect(net.log.activations == [nil])
            #expect(results.ids.contains(net.y))
        }
    }
}
