import Tensor

extension OperatorFactory {
    /// Add, Sub, Mul, Div (opset ≥ 7: numpy broadcasting, no attributes); Pow; the
    /// variadic Max, Min, Sum, Mean; comparisons and Where; elementwise math functions.
    static let arithmeticBuilders: [String: Builder] = {
        var builders: [String: Builder] = ["Pow": { _ in Pow() }, "Where": { _ in Where() }]
        for kind in Arithmetic.Kind.allCases {
            builders[kind.rawValue] = { _ in Arithmetic(kind) }
        }
        for kind in Variadic.Kind.allCases {
            builders[kind.rawValue] = { node in Variadic(kind, inputCount: node.inputCount) }
        }
        for kind in Comparison.Kind.allCases {
            builders[kind.rawValue] = { _ in Comparison(kind) }
        }
        let functions: [UnaryFunction.Function] = [.exp, .log, .sqrt, .reciprocal, .neg, .abs, .ceil, .floor, .erf]
        for function in functions {
            builders[UnaryFunction(function).opType] = { _ in UnaryFunction(function) }
        }
        return builders
    }()
}
