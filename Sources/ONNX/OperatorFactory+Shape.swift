import Tensor

extension OperatorFactory {
    /// Operators that move elements without arithmetic, including the shape plumbing
    /// exporters emit around flattening (Shape → Gather → Unsqueeze → Concat → Reshape).
    static let shapeBuilders: [String: Builder] = [
        "Flatten": { node in Flatten(axis: try node.attributes.int("axis", default: 1)) },
        "Reshape": { node in Reshape(allowZero: try node.attributes.int("allowzero", default: 0) != 0) },
        "Squeeze": { node in Squeeze(axes: try node.axes()) },
        "Unsqueeze": { node in Unsqueeze(axes: try node.axes()) },
        "Concat": { node in
            // Before opset 4, a missing axis meant 1.
            guard let axis = try node.attributes.int("axis") ?? (node.opset < 4 ? 1 : nil) else { throw node.invalid("axis is required") }
            return Concat(axis: axis, inputCount: node.inputCount)
        },
        "Transpose": { node in Transpose(perm: try node.attributes.ints("perm")) },
        "Identity": { _ in Identity() },
        "Shape": { node in Shape(start: try node.attributes.int("start", default: 0), end: try node.attributes.int("end")) },
        "Gather": { node in Gather(axis: try node.attributes.int("axis", default: 0)) },
    ]
}

extension NodeContext {
    /// Squeeze and Unsqueeze axes known at build time: the attribute before opset 13, a
    /// constant input 1 from 13; nil when they come at run time (or are absent).
    func axes() throws -> [Int]? {
        if opset < 13 { return try attributes.ints("axes") }
        return constant(1)?.intValues
    }
}
