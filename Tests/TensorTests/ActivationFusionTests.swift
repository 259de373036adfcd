import Foundation
import Testing
@testable import Tensor

/// A `Conv` (or `BatchNormalization`, or `Add`) followed by an activation that alone reads its
/// output (`Relu`, `Clip` with constant bounds, `HardSwish`, `Sigmoid` and `Mul`: SiLU; GELU's
/// `Div`, `Erf`, `Add`, `Mul`, `Mul`, in either exporter's order) runs as one node writing the activated values
/// (`ActivatingOperator`), unless the output before the activation is kept, read by another
/// node or a graph output. Either way the values and gradients are the same (up to float
/// rounding for SiLU and GELU, whose exponential and error function the kernels compute their way).
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
        case relu, relu6, hardSwish, silu, gelu, geluHalfFirst

        var fused: FusedActivation {
            switch self {
            case .relu: .relu
            case .relu6: .clip(lo: 0, hi: 6)
            case .hardSwish: .hardSwish
            case .silu: .silu
            case .gelu, .geluHalfFirst: .gelu
            }
        }

        /// How far the fused values may be from the separate nodes' (relative, or absolute below 1).
        var tolerance: Float {
            switch self {
            case .relu, .relu6, .hardSwish: 0
            case .silu, .gelu, .geluHalfFirst: 1e-6
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
            case .gelu:
                appendGELU(to: &graph, from: c, to: r)
            case .geluHalfFirst:
                appendGELU(to: &graph, from: c, to: r, halfFirst: true)
            }
        }

        /// GELU as the exporters write it, with `offset` for the 1: TorchScript's
        /// `((erf(c / √2) + 1) · c) · 0.5`, or with `halfFirst` the dynamo exporter's
        /// `c · (0.5 · (erf(c / √2) + 1))`.
        func appendGELU(to graph: inout Graph, from c: ValueID, to r: ValueID, offset: Float = 1, halfFirst: Bool = false) {
            let constants = [Float(2).squareRoot(), offset, 0.5].enumerated().map {
                graph.addConstant(named: "k\($0.offset)", Tensor(shape: [], floats: [$0.element]))
            }
            let v = (0..<4).map { graph.addValue(named: "gelu\($0)") }
            graph.append(Node(name: "div", op: Arithmetic(.div), inputs: [c, constants[0]], outputs: [v[0]]))
            graph.append(Node(name: "erf", op: UnaryFunction(.erf), inputs: [v[0]], outputs: [v[1]]))
            graph.append(Node(name: "add", op: Arithmetic(.add), inputs: [v[1], constants[1]], outputs: [v[2]]))
            if halfFirst {
                graph.append(Node(name: "half", op: Arithmetic(.mul), inputs: [constants[2], v[2]], outputs: [v[3]]))
                graph.append(Node(name: "mul", op: Arithmetic(.mul), inputs: [c, v[3]], outputs: [r]))
            } else {
                graph.append(Node(name: "mul", op: Arithmetic(.mul), inputs: [c, v[2]], outputs: [v[3]]))
                graph.append(Node(name: "half", op: Arithmetic(.mul), inputs: [v[3], constants[2]], outputs: [r]))
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

    /// An operator that logs how it was run.
    struct Logged: ActivatingOperator {
        let op: any ActivatingOperator
        let log: CallLog
        var opType: String { op.opType }
        var differentiableInputs: [Int] { op.differentiableInputs }
        var backwardUses: BackwardUses { op.backwardUses }
        func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
            log.record(nil)
            try op.forward(inputs, into: &outputs, workspace: workspace)
        }
        func forward(
            _ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace, activation: FusedActivation?
        ) throws {
            log.record(activation)
            try op.forward(inputs, into: &outputs, workspace: workspace, activation: activation)
        }
        func backward(_ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext) throws -> [Tensor] {
            try op.backward(gradient, inputs: inputs, outputs: outputs, wrt: wrt, context: context)
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
        graph.append(Node(name: "conv1", op: Logged(op: first, log: log), inputs: [x, w1ID, b1], outputs: [c]))
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
        let tolerance = activation.tolerance
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

    @Test(arguments: [Activation.relu6, .hardSwish, .silu, .gelu, .geluHalfFirst])
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

    /// Operators besides `Conv` that host an activation.
    enum Host: CaseIterable {
        case batchNormalization, biasAdd, residualAdd
    }

    /// x [1, 8, 9, 9] -> host -> c -> activation -> r, run with c kept (separate) and not (fused).
    @Test(arguments: Host.allCases, Activation.allCases)
    func batchNormalizationAndAddHostTheActivation(host: Host, activation: Activation) throws {
        var random = TestRandom(seed: 80)
        var graph = Graph()
        let x = graph.addValue(named: "x"), c = graph.addValue(named: "c"), r = graph.addValue(named: "r")
        graph.inputs = [x]
        let log = CallLog()
        let op: any ActivatingOperator
        var inputs: [ValueID?] = [x]
        switch host {
        case .batchNormalization:
            let parameters = [random.tensor([8], in: 1...4), random.tensor([8]), random.tensor([8]), random.tensor([8], in: 0.5...1)]
            op = try BatchNormalization(parameters: parameters)
            inputs += parameters.enumerated().map { graph.addConstant(named: "p\($0.offset)", $0.element) }
        case .biasAdd:
            op = Arithmetic(.add)
            inputs.append(graph.addConstant(named: "bias", random.tensor([8, 1, 1], in: -3...3)))
        case .residualAdd:
            op = Arithmetic(.add)
            inputs.append(x)
        }
        graph.append(Node(name: "host", op: Logged(op: op, log: log), inputs: inputs, outputs: [c]))
        activation.append(to: &graph, from: c, to: r)
        graph.outputs = [r]
        let input = random.tensor([1, 8, 9, 9], in: -4...4)
        let executor = Executor(graph: graph, threads: 2)
        let fused = try executor.forward([x: input]).tensor(r)
        let separate = try executor.forward([x: input], keep: [c]).tensor(r)
        #expect(log.activations == [activation.fused, nil])
        #expect(isClose(fused.floats, separate.floats, tolerance: activation.tolerance))
    }

    /// A chain like GELU's that computes something else (`+ 2` for `+ 1`) is left to its nodes,
    /// in either exporter's order.
    @Test(arguments: [false, true])
    func aChainThatIsNotGELUIsNotFused(halfFirst: Bool) throws {
        var graph = Graph()
        let x = graph.addValue(named: "x"), c = graph.addValue(named: "c"), r = graph.addValue(named: "r")
        graph.inputs = [x]
        let log = CallLog()
        graph.append(Node(name: "host", op: Logged(op: Arithmetic(.add), log: log), inputs: [x, x], outputs: [c]))
        Activation.gelu.appendGELU(to: &graph, from: c, to: r, offset: 2, halfFirst: halfFirst)
        graph.outputs = [r]
        let input = Tensor(shape: [4], floats: [-1, 0, 0.5, 2])
        let y = try Executor(graph: graph).forward([x: input]).tensor(r)
        #expect(log.activations == [nil])
        let expected = input.floats.map { v -> Float in
            let c = 2 * v
            return c * (Float(Foundation.erf(Double(c) / 2.0.squareRoot())) + 2) * 0.5
        }
        #expect(isClose(y.floats, expected))
    }
}
