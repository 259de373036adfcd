import Tensor

extension OperatorFactory {
    static let activationBuilders: [String: Builder] = [
        "Relu": { _ in Relu() },
        "LeakyRelu": { node in LeakyRelu(alpha: try node.attributes.float("alpha", default: 0.01)) },
        "Sigmoid": { _ in Sigmoid() },
        "Clip": { node in
            // Bounds are attributes before opset 11 and optional inputs from 11.
            guard node.opset < 11 else { return Clip() }
            return Clip(minimum: try node.attributes.float("min", default: -.greatestFiniteMagnitude),
                        maximum: try node.attributes.float("max", default: .greatestFiniteMagnitude))
        },
        "Softmax": { node in
            // Before opset 13 the input is coerced to 2-D at `axis` (default 1); from 13 it is one axis (default -1).
            let coerced = node.opset < 13
            return Softmax(axis: try node.attributes.int("axis", default: coerced ? 1 : -1), coerced: coerced)
        },
    ]
}
