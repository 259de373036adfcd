import Tensor

/// A classifier graph prepared for explanation: pre-activation scores as its output, the
/// shape of every tensor known, and the layers a map can be computed at.
public struct ExplainableModel: Sendable {
    public let graph: Graph
    public let input: ValueID
    /// `[1, C, H, W]`.
    public let inputShape: [Int]
    /// The pre-softmax scores, shaped `[1, classCount]`.
    public let logits: ValueID
    public let classCount: Int
    /// The operator removed from the end of the graph to expose the scores ("Softmax"), if any.
    public let strippedOutput: String?
    /// Every explainable layer, in graph order (the input first).
    public let layers: [Layer]
    /// The output of the last convolution's activation before the classifier head.
    public let defaultLayer: Layer
    /// Every value's shape for a batch of one, by `ValueID.index` (nil for constants).
    public let shapes: [[Int]?]

    /// Operators the default layer may follow from the last convolution without changing shape.
    static let activationLike: Set<String> = [
        "Relu", "LeakyRelu", "Clip", "Sigmoid", "BatchNormalization", "Add", "Identity", "Dropout",
    ]

    /// Prepares `graph` for an input of `inputShape` (`[1, C, H, W]`). A trailing Softmax is
    /// bypassed: explanations use the score before it. One forward pass on zeros finds
    /// every tensor's shape.
    public init(graph source: Graph, inputShape: [Int]) throws {
        guard source.inputs.count == 1 else {
            throw ExplainError.unsupportedModel("expected one input image, the graph has \(source.inputs.count) inputs")
        }
        guard inputShape.count == 4, inputShape[0] == 1 else {
            throw ExplainError.unsupportedModel("the input must be [1, C, H, W], got \(inputShape)")
        }
        guard let output = source.outputs.first else { throw ExplainError.unsupportedModel("the graph has no output") }
        var graph = source
        var logits = output
        var stripped: String?
        if let producer = graph.producer(of: output), graph.nodes[producer].op.opType == "Softmax",
           let scores = graph.nodes[producer].inputs.first ?? nil {
            stripped = "Softmax"
            logits = scores
            graph.removeNodes(at: [producer])
            graph.outputs = [logits]
        } else {
            graph.outputs = [output]
        }
        input = graph.inputs[0]
        self.inputShape = inputShape

        let executor = Executor(graph: graph)
        let results = try executor.forward([input: Tensor.zeros(inputShape)])
        let scores = try results.tensor(logits)
        guard scores.rank >= 2, scores.shape[0] == 1, scores.elementType == .float32 else {
            throw ExplainError.unsupportedModel("the output '\(graph.name(of: logits))' has shape \(scores.shape); expected [1, classes]")
        }
        classCount = scores.count
        self.logits = logits
        self.graph = graph
        strippedOutput = stripped

        let onPath = Self.valuesReaching(logits, in: graph)
        var layers: [Layer] = []
        func add(_ id: ValueID, node: String, op: String) {
            guard onPath.contains(id), let shape = executor.shapes[id.index], shape.count == 4, shape[0] == 1 else { return }
            layers.append(Layer(value: id, name: graph.name(of: id), node: node, op: op, shape: shape))
        }
        add(input, node: graph.name(of: input), op: "input")
        for node in graph.nodes {
            for id in node.outputs { add(id, node: node.name, op: node.op.opType) }
        }
        guard !layers.isEmpty else {
            throw ExplainError.unsupportedModel("no [1, C, H, W] feature map leads to the scores")
        }
        self.layers = layers
        shapes = executor.shapes
        defaultLayer = Self.defaultLayer(graph, layers)
    }

    /// Values the scores depend on through differentiable inputs.
    static func valuesReaching(_ output: ValueID, in graph: Graph) -> Set<ValueID> {
        var reaching: Set<ValueID> = [output]
        for node in graph.nodes.reversed() where node.outputs.contains(where: reaching.contains) {
            for position in node.op.differentiableInputs where position < node.inputs.count {
                if let id = node.inputs[position], graph.constants[id] == nil { reaching.insert(id) }
            }
        }
        return reaching
    }

    /// The last convolution's output, followed through single-consumer, shape-preserving
    /// activation-like nodes (VGG16: `relu5_3`; ResNet: the last block's ReLU after the
    /// residual Add). Without convolutions, the last explainable layer.
    static func defaultLayer(_ graph: Graph, _ layers: [Layer]) -> Layer {
        let byValue = Dictionary(layers.map { ($0.value, $0) }, uniquingKeysWith: { a, _ in a })
        guard let lastConv = layers.last(where: { $0.op == "Conv" }) else { return layers.last! }
        var current = lastConv
        while true {
            let consumers = graph.consumers(of: current.value)
            guard consumers.count == 1 else { break }
            let node = graph.nodes[consumers[0]]
            guard Self.activationLike.contains(node.op.opType), let next = byValue[node.outputs[0]],
                  next.shape == current.shape else { break }
            current = next
        }
        return current
    }

    /// The layer called `name`: a tensor name, a node name, or an alias mapping to either.
    public func layer(named name: String, aliases: [String: String] = [:]) throws -> Layer {
        let target = aliases[name] ?? name
        if let layer = layers.first(where: { $0.name == target }) ?? layers.first(where: { $0.node == target }) {
            return layer
        }
        if let id = graph.value(named: target) ?? graph.nodes.first(where: { $0.name == target })?.outputs.first {
            if let shape = shapes[id.index], !(shape.count == 4 && shape[0] == 1) {
                throw ExplainError.layerNotSpatial(name, shape: shape)
            }
            throw ExplainError.layerNotOnPath(name)
        }
        throw ExplainError.unknownLayer(name, available: aliases.keys.sorted() + layers.map(\.name))
    }
}
