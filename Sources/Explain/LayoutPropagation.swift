import Tensor

/// Each rank-4 tensor's layout, propagated from the input in graph order:
///
/// - convolutions, pools and the normalizations ONNX defines on `[N, C, ...]` make NCHW;
/// - `Transpose` moves the axes: NCHW with `perm [0, 2, 3, 1]` is NHWC (ConvNeXt's Permute,
///   tf2onnx's wrapper around each convolution), NHWC with `[0, 3, 1, 2]` is NCHW again;
///   any other permutation is taken as NCHW;
/// - a `Reshape`-like operator keeps the layout only when the shape is unchanged;
/// - everything else (activations, Add, Mul, Concat, LayerNormalization, MatMul on the last
///   axis, ...) keeps the layout of its first rank-4 input.
///
/// What nothing determines is NCHW, ONNX's own convention (a rank-4 tensor rebuilt by
/// Reshape and Gather, as the dynamo exporter writes `as_strided`, then transposed to
/// `[1, 1, 1, C]` is NHWC).
enum LayoutPropagation {
    /// Operators whose rank-4 output is NCHW by the ONNX definition.
    static let channelsFirst: Set<String> = [
        "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "LpPool",
        "BatchNormalization", "InstanceNormalization", "GroupNormalization", "LRN", "DepthToSpace", "SpaceToDepth",
    ]
    /// Operators that may regroup elements: the layout survives only an unchanged shape.
    static let reshaping: Set<String> = ["Reshape", "Flatten", "Squeeze", "Unsqueeze"]

    /// The layout of every rank-4 value, by value.
    static func layouts(_ graph: Graph, shapes: [[Int]?], input: ValueID, inputLayout: Layout) -> [ValueID: Layout] {
        var layouts: [ValueID: Layout] = [input: inputLayout]
        let rank4 = { (id: ValueID) in shapes[id.index]?.count == 4 }
        for node in graph.nodes {
            let opType = node.op.opType
            let source = node.inputs.compactMap { $0 }.first { rank4($0) && layouts[$0] != nil }
            for output in node.outputs where rank4(output) {
                var layout: Layout?
                if let transpose = node.op as? Transpose {
                    layout = source.flatMap { permuted(layouts[$0]!, by: transpose.perm ?? [3, 2, 1, 0]) }
                } else if !Self.channelsFirst.contains(opType), let source,
                          !Self.reshaping.contains(opType) || shapes[source.index] == shapes[output.index] {
                    layout = layouts[source]
                }
                layouts[output] = layout ?? .nchw
            }
        }
        return layouts
    }

    /// The layout of a `layout` tensor transposed by `perm`, if it is one of the two.
    static func permuted(_ layout: Layout, by perm: [Int]) -> Layout? {
        let axes = layout.axes
        var roles = ["N", "", "", ""]
        roles[axes.channels] = "C"
        roles[axes.height] = "H"
        roles[axes.width] = "W"
        guard perm.count == 4, Set(perm) == [0, 1, 2, 3] else { return nil }
        return Layout(rawValue: perm.map { roles[$0] }.joined())
    }
}
