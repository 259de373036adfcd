import Tensor

extension ExplainableModel {
    /// The dilated equivalent of a VGG-style network at `layer` (the seed's "dilated VGG16",
    /// after Yu and Koltun): every pooling before the layer is removed (made a pass-through), every convolution
    /// after a removed pooling has its dilation and padding multiplied by the product `f`
    /// of the strides removed above it, and the first pooling after the layer grows its
    /// kernel and stride by the total factor `F`, so the head sees the shape it was
    /// trained on. Same weights; the layer's map gets `F` times the resolution (VGG16 at
    /// `relu5_3`: 14x14 → 224x224, pool5 becomes a 32x32 max pool).
    ///
    /// Requires non-overlapping poolings (kernel = stride, no padding) and stride-1
    /// convolutions below the layer; anything else is refused with the reason.
    public func dilated(at layer: Layer) throws -> ExplainableModel {
        var graph = self.graph
        let ancestors = Self.ancestors(of: layer.value, in: graph)
        // Factor applied to each value's spatial grid, by value.
        var factor: [ValueID: Int] = [:]
        var total = 1
        for (index, node) in graph.nodes.enumerated() {
            let inputFactor = node.inputs.compactMap { $0.flatMap { factor[$0] } }.max() ?? 1
            let type = node.op.opType
            if ancestors.contains(node.outputs[0]) && (type == "MaxPool" || type == "AveragePool") {
                let window = try Self.poolWindow(node)
                let w = window.strides
                guard window.kernel == w, window.pads == (0, 0, 0, 0), w.height == w.width else {
                    throw ExplainError.notDilatable("pooling '\(node.name)' overlaps or pads (kernel \(window.kernel), stride \(window.strides)); only non-overlapping pooling can be removed")
                }
                // The pooling becomes a pass-through; its output stands for a finer grid.
                var replaced = node
                replaced.op = Identity()
                graph.replaceNode(at: index, with: replaced)
                factor[node.outputs[0]] = inputFactor * w.height
                total = max(total, inputFactor * w.height)
                continue
            }
            for output in node.outputs where inputFactor > 1 { factor[output] = inputFactor }
            guard inputFactor > 1 else { continue }
            if var conv = node.op as? Conv {
                let w = conv.window
                guard w.strides == (1, 1) else {
                    throw ExplainError.notDilatable("convolution '\(node.name)' has stride \(w.strides); dilation needs stride 1")
                }
                let f = inputFactor
                conv.window = w.with(
                    dilations: (w.dilations.height * f, w.dilations.width * f),
                    pads: (w.pads.top * f, w.pads.left * f, w.pads.bottom * f, w.pads.right * f))
                var replaced = node
                replaced.op = conv
                graph.replaceNode(at: index, with: replaced)
            } else if !ancestors.contains(node.outputs[0]) && node.outputs[0] != layer.value
                        && (type == "MaxPool" || type == "AveragePool") {
                // The first pooling after the layer restores the head's grid.
                let window = try Self.poolWindow(node)
                let grown = try Window(
                    kernel: [window.kernel.height * inputFactor, window.kernel.width * inputFactor],
                    strides: [window.strides.height * inputFactor, window.strides.width * inputFactor],
                    pads: [window.pads.top, window.pads.left, window.pads.bottom, window.pads.right].map { $0 * inputFactor },
                    op: type)
                var replaced = node
                replaced.op = type == "MaxPool" ? MaxPool(window: grown) : AveragePool(window: grown, countIncludePad: (node.op as! AveragePool).countIncludePad)
                graph.replaceNode(at: index, with: replaced)
                for output in node.outputs { factor[output] = nil }
            }
        }
        guard total > 1 else { throw ExplainError.notDilatable("there is no pooling before layer '\(layer.name)'") }
        let dilatedModel: ExplainableModel
        do {
            dilatedModel = try ExplainableModel(graph: graph, inputShape: inputShape, inputLayout: inputLayout)
        } catch {
            throw ExplainError.notDilatable("the dilated graph does not run: \(error)")
        }
        guard dilatedModel.classCount == classCount else {
            throw ExplainError.notDilatable("the head no longer gives \(classCount) scores")
        }
        return dilatedModel
    }

    private static func poolWindow(_ node: Node) throws -> Window {
        if let pool = node.op as? MaxPool { return pool.window }
        if let pool = node.op as? AveragePool { return pool.window }
        throw ExplainError.notDilatable("'\(node.name)' is not a pooling")
    }

    /// `value` and every value it is computed from.
    static func ancestors(of value: ValueID, in graph: Graph) -> Set<ValueID> {
        var result: Set<ValueID> = [value]
        for node in graph.nodes.reversed() where node.outputs.contains(where: result.contains) {
            for case let input? in node.inputs { result.insert(input) }
        }
        return result
    }
}
