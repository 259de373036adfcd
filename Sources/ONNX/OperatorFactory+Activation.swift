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
        "Tanh": { _ in UnaryFunction(.tanh) },
        "Softplus": { _ in UnaryFunction(.softplus) },
        "Mish": { _ in UnaryFunction(.mish) },
        "HardSwish": { _ in UnaryFunction(.hardSwish) },
        "HardSigmoid": { node in
            UnaryFunction(.hardSigmoid(alpha: try node.attributes.float("alpha", default: 0.2),
                                       beta: try node.attributes.float("beta", default: 0.5)))
        },
        "Elu": { node in UnaryFunction(.elu(alpha: try node.attributes.float("alpha", default: 1))) },
        "Selu": { node in
            UnaryFunction(.selu(alpha: try node.attributes.float("alpha", default: 1.673_263_192_176_818_847_656_25),
                                gamma: try node.attributes.float("gamma", default: 1.050_701_022_148_132_324_218_75)))
        },
        "Gelu": { node in
            let approximate = try node.attributes.string("approximate") ?? "none"
            guard approximate == "none" || approximate == "tanh" else {
                throw node.invalid("approximate '\(approximate)' is not one of none, tanh")
            }
            return UnaryFunction(.gelu(approximate: approximate == "tanh"))
        },
        "PRelu": { _ in PRelu() },
        "Softmax": { node in
            // Before opset 13 the input is coerced to 2-D at `axis` (default 1); from 13 it is one axis (default -1).
            let coerced = node.opset < 13
            return Softmax(axis: try node.attributes.int("axis", default: coerced ? 1 : -1), coerced: coerced)
        },
    ]
}
