import Tensor

extension OperatorFactory {
    static let linearBuilders: [String: Builder] = [
        "Gemm": { node in
            let a = node.attributes
            return Gemm(alpha: try a.float("alpha", default: 1), beta: try a.float("beta", default: 1),
                        transA: try a.int("transA", default: 0) != 0, transB: try a.int("transB", default: 0) != 0)
        },
        "MatMul": { _ in MatMul() },
    ]
}
