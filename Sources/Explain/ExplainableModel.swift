import Tensor

/// A classifier graph prepared for explanation: pre-activation scores as its output, the
/// shape of every tensor known, and the layers a map can be computed at.
public struct ExplainableModel: Sendable {
    public let graph: Graph
    public let input: ValueID
    /// `[1, C, H, W]`, or `[1, H, W, C]` when `inputLayout` is NHWC.
    public let inputShape: [Int]
    public let inputLayout: Layout
    /// The pre-softmax scores, shaped `[1, classCount]`.
    public let logits: ValueID
    public let classCount: Int
    /// The operator removed from the end of the graph to expose the scores ("Softmax"), if any.
    public let strippedOutput: String?
    /// Every explainable layer, in graph order (the input first).
    public let layers: [Layer]
    /// The features the classifier's global pooling (or flatten) reads: see `defaultLayer(_:_:logits:)`.
    public let defaultLayer: Layer
    /// Every value's shape for a batch of one, by `ValueID.index` (nil for constants).
    public let shapes: [[Int]?]

    /// Downsampling pools the default layer walks back over to the activation they read
    /// (VGG16's and AlexNet's classifiers flatten the last MaxPool's output).
    static let downsamplingPools: Set<String> = ["MaxPool", "AveragePool"]

    /// Prepares `graph` for an input of `inputShape` (`[1, C, H, W]`, or `[1, H, W, C]` for an
    /// NHWC `inputLayout`). A trailing Softmax is bypassed: explanations use the score before
    /// it. One forward pass on zeros finds every tensor's shape, then every rank-4 tensor's layout.
    public init(graph source: Graph, inputShape: [Int], inputLayout: Layout = .nchw) throws {
        guard source.inputs.count == 1 else {
            throw ExplainError.unsupportedModel("expected one input image, the graph has \(source.inputs.count) inputs")
        }
        guard inputShape.count == 4, inputShape[0] == 1 else {
            throw ExplainError.unsupportedModel("the input must be [1, C, H, W] or [1, H, W, C], got \(inputShape)")
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
        self.inputLayout = inputLayout

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
        let layouts = LayoutPropagation.layouts(graph, shapes: executor.shapes, input: input, inputLayout: inputLayout)
        var layers: [Layer] = []
        func add(_ id: ValueID, node: String, op: String) {
            guard onPath.contains(id), let shape = executor.shapes[id.index], shape.count == 4, shape[0] == 1 else { return }
            layers.append(Layer(value: id, name: graph.name(of: id), node: node, op: op, shape: shape,
                                layout: layouts[id] ?? .nchw))
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
        defaultLayer = Self.defaultLayer(graph, layers, logits: logits)
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

    /// The features the classifier reads, whatever the family: walking back from the scores
    /// through values that are not spatial maps (vectors, `1x1` maps after the global pooling,
    /// a timm head's 1x1 convolutions on them), the spatial maps (more than one pixel) reached
    /// first are what the global pooling (GlobalAveragePool, ReduceMean over H and W, a
    /// whole-map AveragePool) or the flatten reads: an activation of any kind, a Concat
    /// (GoogLeNet, Inception) or an Add (ConvNeXt). Of those, the last in graph order; then
    /// back over downsampling pools to the activation they read (VGG16 `relu5_3`, AlexNet
    /// `relu5`). Without any (no spatial map before the head), the last explainable layer.
    static func defaultLayer(_ graph: Graph, _ layers: [Layer], logits: ValueID) -> Layer {
        let byValue = Dictionary(layers.map { ($0.value, $0) }, uniquingKeysWith: { a, _ in a })
        let order = Dictionary(layers.enumerated().map { ($0.element.value, $0.offset) }, uniquingKeysWith: { a, _ in a })
        var read: [Layer] = []
        var visited: Set<ValueID> = [logits]
        var pending = [logits]
        while let value = pending.popLast() {
            guard let producer = graph.producer(of: value) else { continue }
            let node = graph.nodes[producer]
            for position in node.op.differentiableInputs where position < node.inputs.count {
                guard let id = node.inputs[position], graph.constants[id] == nil, visited.insert(id).inserted else { continue }
                if let layer = byValue[id], layer.height * layer.width > 1 {
                    read.append(layer)
                } else {
                    pending.append(id)
                }
            }
        }
        guard var current = read.filter({ $0.op != "input" }).max(by: { order[$0.value]! < order[$1.value]! }) else {
            return layers.last!
        }
        while let producer = graph.producer(of: current.value), Self.downsamplingPools.contains(graph.nodes[producer].op.opType),
              let source = graph.nodes[producer].inputs.first ?? nil, let previous = byValue[source], previous.op != "input" {
            current = previous
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
