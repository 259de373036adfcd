import Tensor

extension OperatorFactory {
    static let activationBuilders: [String: Builder] = [
        "Relu": { _ in Relu() },
    ]
}
