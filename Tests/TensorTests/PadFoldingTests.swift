import Testing
@testable import Tensor

/// `Graph.foldZeroPadsIntoConvolutions`: a zero `Pad` of the spatial axes read only by a
/// convolution becomes that convolution's padding, on every convolution path, with the same
/// output and input gradient as the two nodes; any other `Pad` stays.
@Suite struct PadFoldingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        /// The `Pad`'s pads over `[N, C, H, W]`: all beginnings, then all ends.
        var pads: [Int]
        var value: Float? = nil
        var mode: Pad.Mode = .constant
        /// The convolution: 3x3 kernel, 16 -> 16 channels.
        var stride = 1
        var group = 1
        var convPads = [0, 0, 0, 0]
        var autoPad = AutoPad.notSet
        var winograd = false
        /// Another node reads the padded value; the padded value is a graph output; the pads are
        /// a graph input (computed at run time).
        var padIsAlsoRead = false
        var padIsAnOutput = false
        var padsAtRunTime = false
        var testDescription: String { label }
    }

    struct Network {
        var graph: Graph
        let x: ValueID, y: ValueID, pads: ValueID
        let padsTensor: Tensor
    }

    /// x [1, 16, 11, 12] -> Pad -> p -> Conv (3x3, 16 -> 16, bias) -> y.
    func network(_ c: Case) throws -> Network {
        var random = TestRandom(seed: 93)
        var graph = Graph()
        let x = graph.addValue(named: "x"), p = graph.addValue(named: "p"), y = graph.addValue(named: "y")
        let padsTensor = Tensor(shape: [8], integers: c.pads.map(Int64.init))
        let pads = c.padsAtRunTime ? graph.addValue(named: "pads") : graph.addConstant(named: "pads", padsTensor)
        graph.inputs = c.padsAtRunTime ? [x, pads] : [x]
        let value = c.value.map { graph.addConstant(named: "value", Tensor(shape: [], floats: [$0])) }
        graph.append(Node(name: "pad", op: Pad(mode: c.mode), inputs: [x, pads, value], outputs: [p]))
        let weights = random.tensor([16, 16 / c.group, 3, 3])
        let window = try Window(kernel: [3, 3], strides: [c.stride, c.stride], pads: c.convPads, autoPad: c.autoPad, op: "Conv")
        var conv = Conv(window: window, group: c.group)
        if c.winograd { conv = conv.preparing(weights: weights, minimumOutputPixels: 0) }
        let w = graph.addConstant(named: "w", weights), b = graph.addConstant(named: "b", random.tensor([16]))
        graph.append(Node(name: "conv", op: conv, inputs: [p, w, b], outputs: [y]))
        graph.outputs = [y]
        if c.padIsAlsoRead {
            let r = graph.addValue(named: "r")
            graph.append(Node(name: "relu", op: Relu(), inputs: [p], outputs: [r]))
            graph.outputs.append(r)
        }
        if c.padIsAnOutput { graph.outputs.append(p) }
        return Network(graph: graph, x: x, y: y, pads: pads, padsTensor: padsTensor)
    }

    /// y and dX (for a seed over y) of `graph`.
    func run(_ net: Network, _ graph: Graph) throws -> (y: Tensor, dx: Tensor) {
        var random = TestRandom(seed: 94)
        let input = random.tensor([1, 16, 11, 12])
        var feeds = [net.x: input]
        if graph.inputs.contains(net.pads) { feeds[net.pads] = net.padsTensor }
        let executor = Executor(graph: graph, threads: 2)
        let plan = try BackwardPlan(graph: graph, from: net.y, to: [net.x])
        let y = try executor.forward(feeds, preparing: [plan]).tensor(net.y)
        let dx = try executor.backward(plan, seed: random.tensor(y.shape)).tensor(net.x)
        return (y, dx)
    }

    static let folded: [Case] = [
        Case(label: "TF's SAME for stride 2 (im2col)", pads: [0, 0, 0, 0, 0, 0, 1, 1], stride: 2),
        Case(label: "symmetric, Winograd", pads: [0, 0, 1, 1, 0, 0, 1, 1], winograd: true),
        Case(label: "asymmetric, depthwise", pads: [0, 0, 1, 2, 0, 0, 2, 1], group: 16),
        Case(label: "added to the convolution's own pads", pads: [0, 0, 1, 0, 0, 0, 0, 2], convPads: [1, 1, 1, 1]),
        Case(label: "an explicit 0 value, VALID convolution", pads: [0, 0, 2, 2, 0, 0, 2, 2], value: 0, autoPad: .valid),
    ]

    @Test(arguments: folded)
    func aZeroSpatialPadBecomesTheConvolutionsPadding(_ c: Case) throws {
        let net = try network(c)
        var graph = net.graph
        graph.foldZeroPadsIntoConvolutions()
        #expect(graph.nodes.map(\.op.opType) == ["Conv"])
        #expect(graph.nodes[0].inputs[0] == net.x)
        try graph.validate()
        // Winograd tiles the padded and the unpadded input differently: its rounding (1e-5 of the
        // largest value, as in `WinogradTests`).
        let separate = try run(net, net.graph), together = try run(net, graph)
        #expect(relativeError(together.y, separate.y) <= 1e-5)
        #expect(together.dx.shape == [1, 16, 11, 12])
        #expect(relativeError(together.dx, separate.dx) <= 1e-5)
    }

    /// A folded `Pad` too large for memory is refused by the convolution, as the `Pad` would
    /// have refused it, before anything is allocated.
    @Test func aHugeFoldedPadIsStillRefused() throws {
        let net = try network(Case(label: "huge", pads: [0, 0, 60000, 60000, 0, 0, 60000, 60000]))
        var graph = net.graph
        graph.foldZeroPadsIntoConvolutions()
        #expect(graph.nodes.map(\.op.opType) == ["Conv"])
        #expect(throws: EngineError.self) { try Executor(graph: graph).forward([net.x: Tensor.zeros([1, 16, 11, 12])]) }
    }

    static let kept: [Case] = [
        Case(label: "a non-zero value", pads: [0, 0, 1, 1, 0, 0, 1, 1], value: 0.5),
        Case(label: "reflect mode", pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: .reflect),
        Case(label: "a cropping pad", pads: [0, 0, -1, 0, 0, 0, 1, 1]),
        Case(label: "read by another node too", pads: [0, 0, 1, 1, 0, 0, 1, 1], padIsAlsoRead: true),
        Case(label: "a graph output", pads: [0, 0, 1, 1, 0, 0, 1, 1], padIsAnOutput: true),
        Case(label: "pads computed at run time", pads: [0, 0, 1, 1, 0, 0, 1, 1], padsAtRunTime: true),
        Case(label: "a SAME_UPPER convolution", pads: [0, 0, 1, 1, 0, 0, 1, 1], autoPad: .sameUpper),
    ]

    @Test(arguments: kept)
    func anyOtherPadStays(_ c: Case) throws {
        let net = try network(c)
        var graph = net.graph
        graph.foldZeroPadsIntoConvolutions()
        #expect(graph.nodes.map(\.op.opType) == net.graph.nodes.map(\.op.opType))
        #expect(graph.nodes.first { $0.op is Conv }?.inputs[0] != net.x)
        let separate = try run(net, net.graph), after = try run(net, graph)
        #expect(after.y.floats == separate.y.floats && after.dx.floats == separate.dx.floats)
    }

    /// A pad of the channel axis (the convolution reads 17 channels) stays.
    @Test func aChannelPadStays() throws {
        var graph = Graph()
        let x = graph.addValue(named: "x"), p = graph.addValue(named: "p"), y = graph.addValue(named: "y")
        graph.inputs = [x]
        let pads = graph.addConstant(named: "pads", Tensor(shape: [8], integers: [0, 1, 0, 0, 0, 0, 0, 0]))
        graph.append(Node(name: "pad", op: Pad(), inputs: [x, pads], outputs: [p]))
        var random = TestRandom(seed: 95)
        let w = graph.addConstant(named: "w", random.tensor([4, 17, 3, 3]))
        graph.append(Node(name: "conv", op: Conv(window: try Window(kernel: [3, 3], op: "Conv")), inputs: [p, w], outputs: [y]))
        graph.outputs = [y]
        var folded = graph
        folded.foldZeroPadsIntoConvolutions()
        #expect(folded.nodes.map(\.op.opType) == ["Pad", "Conv"])
    }
}
