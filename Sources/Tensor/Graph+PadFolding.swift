extension Graph {
    /// Folds every zero `Pad` of the spatial axes whose only reader is a 2-D `Conv` (as its
    /// input `X`) into that convolution's padding, and removes the `Pad`.
    ///
    /// TensorFlow's "SAME" padding reaches ONNX this way from TorchScript's exporter (a `Pad`
    /// before each strided convolution of EfficientNet-Lite; the dynamo exporter writes it into
    /// the convolution's pads itself). The convolution pads as it reads (the im2col, depthwise
    /// and Winograd paths alike), so the padded copy of the tensor is never made, and the input
    /// gradient comes out at the unpadded shape, as the `Pad`'s VJP would crop it. The padded
    /// value is then produced by no node: it is no longer a layer.
    ///
    /// A `Pad` stays when its output is a graph output or read by another node, when it pads the
    /// batch or channel axes, crops (negative pads), fills with a value other than 0 or by
    /// another mode, or when its pads, value or axes are computed at run time; and when the
    /// convolution derives its own padding from the input size (`SAME_UPPER`, `SAME_LOWER`).
    public mutating func foldZeroPadsIntoConvolutions() {
        var readers: [ValueID: [Int]] = [:]
        for (index, node) in nodes.enumerated() {
            for case let input? in node.inputs { readers[input, default: []].append(index) }
        }
        var folded: Set<Int> = []
        for (index, node) in nodes.enumerated() {
            guard let pad = node.op as? Pad, pad.mode == .constant, node.outputs.count == 1,
                  let x = node.inputs.first ?? nil, !outputs.contains(node.outputs[0]),
                  let reader = readers[node.outputs[0]], reader.count == 1,
                  var conv = nodes[reader[0]].op as? Conv, nodes[reader[0]].inputs.first == node.outputs[0],
                  conv.window.spatialRank == 2, conv.window.autoPad == .notSet || conv.window.autoPad == .valid
            else { continue }
            // Pads, value and axes must be constants (or absent); the value 0.
            let parameters = node.inputs.dropFirst()
            guard parameters.allSatisfy({ $0.map { constants[$0] != nil } ?? true }) else { continue }
            let inputs = node.inputs.map { $0.flatMap { constants[$0] } }
            if let value = inputs.optional(2) {
                guard value.elementType == .float32, value.count == 1, value.floats[0] == 0 else { continue }
            } else if let fixed = pad.fixedValue, fixed != 0 {
                continue
            }
            guard let (begin, end) = try? pad.padsByAxis(rank: 4, inputs),
                  begin[0] == 0, end[0] == 0, begin[1] == 0, end[1] == 0,
                  (begin[2...] + end[2...]).allSatisfy({ $0 >= 0 }) else { continue }
            let own = conv.window.autoPad == .valid ? (top: 0, left: 0, bottom: 0, right: 0) : conv.window.pads
            conv.window = conv.window.with(
                dilations: conv.window.dilations,
                pads: (own.top + begin[2], own.left + begin[3], own.bottom + end[2], own.right + end[3]))
            var reading = nodes[reader[0]]
            reading.op = conv
            reading.inputs[0] = x
            replaceNode(at: reader[0], with: reading)
            folded.insert(index)
        }
        removeNodes(at: folded)
    }
}
