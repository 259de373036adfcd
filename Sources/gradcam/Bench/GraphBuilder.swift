import Tensor

/// Builds classifier graphs in code, with seeded random weights (He-uniform: uniform in
/// `±√(6 / fan_in)`, PyTorch's `kaiming_uniform_` for ReLU networks), for benchmarks that
/// need no files.
struct GraphBuilder {
    private(set) var graph = Graph()
    private var random: WeightGenerator
    private var counter = 0

    init(seed: UInt64 = 2024) {
        random = WeightGenerator(seed: seed)
    }

    /// Adds the `[N, 3, H, W]` image input.
    mutating func input() -> ValueID {
        let id = graph.addValue(named: "input")
        graph.inputs = [id]
        return id
    }

    /// `out x in/groups x k x k` convolution with bias, then optionally ReLU.
    mutating func conv(_ x: ValueID, _ inChannels: Int, _ outChannels: Int, kernel k: Int, stride: Int = 1,
                       pad: Int, groups: Int = 1, relu: Bool = true, name: String) throws -> ValueID {
        let fanIn = inChannels / groups * k * k
        let w = weights([outChannels, inChannels / groups, k, k], bound: (6 / Float(fanIn)).squareRoot(), name: "\(name).weight")
        let b = weights([outChannels], bound: 0.01, name: "\(name).bias")
        let window = try Window(kernel: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad], op: "Conv")
        let y = node(Conv(window: window, group: groups).preparing(weights: graph.constants[w]!), [x, w, b], name: name)
        return relu ? node(Relu(), [y], name: "\(name).relu") : y
    }

    mutating func maxPool(_ x: ValueID, kernel: Int, stride: Int, name: String) throws -> ValueID {
        node(MaxPool(window: try Window(kernel: [kernel, kernel], strides: [stride, stride], op: "MaxPool")), [x], name: name)
    }

    mutating func flatten(_ x: ValueID) -> ValueID {
        node(Flatten(axis: 1), [x], name: "flatten")
    }

    /// `y = x Wᵀ + b` with `W [out, in]`, then optionally ReLU.
    mutating func linear(_ x: ValueID, _ inFeatures: Int, _ outFeatures: Int, relu: Bool, name: String) -> ValueID {
        let w = weights([outFeatures, inFeatures], bound: (6 / Float(inFeatures)).squareRoot(), name: "\(name).weight")
        let b = weights([outFeatures], bound: 0.01, name: "\(name).bias")
        let y = node(Gemm(transB: true), [x, w, b], name: name)
        return relu ? node(Relu(), [y], name: "\(name).relu") : y
    }

    mutating func output(_ y: ValueID) {
        graph.outputs = [y]
    }

    private mutating func node(_ op: any Operator, _ inputs: [ValueID], name: String) -> ValueID {
        let output = graph.addValue(named: "\(name):out")
        graph.append(Node(name: name, op: op, inputs: inputs, outputs: [output]))
        return output
    }

    private mutating func weights(_ shape: [Int], bound: Float, name: String) -> ValueID {
        let values = (0..<shape.reduce(1, *)).map { _ in (2 * random.uniform() - 1) * bound }
        return graph.addConstant(named: name, Tensor(shape: shape, floats: values))
    }
}

extension WeightGenerator {
    /// Uniform in (0, 1].
    fileprivate mutating func uniform() -> Float {
        Float(next() >> 40 + 1) / Float(1 << 24)
    }
}
