import Tensor

extension OperatorFactory {
    /// Add, Sub, Mul, Div (opset ≥ 7: numpy broadcasting, no attributes).
    static let arithmeticBuilders: [String: Builder] = Dictionary(uniqueKeysWithValues: Arithmetic.Kind.allCases.map { kind in
        (kind.rawValue, { _ in Arithmetic(kind) } as Builder)
    })
}
