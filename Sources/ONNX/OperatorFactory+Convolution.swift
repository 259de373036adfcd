import Tensor

extension OperatorFactory {
    static let convolutionBuilders: [String: Builder] = [
        "Conv": { node in
            let a = node.attributes
            // Without kernel_shape, the kernel is the weights' spatial shape.
            guard let kernel = try a.ints("kernel_shape") ?? node.constants.dropFirst().first??.shape.dropFirst(2).map({ $0 }) else {
                throw node.invalid("kernel_shape is required when the weights are not a constant")
            }
            let window = try node.building {
                try Window(kernel: kernel, strides: try a.ints("strides") ?? [], dilations: try a.ints("dilations") ?? [],
                           pads: try a.ints("pads") ?? [], autoPad: try node.autoPad(), op: node.op)
            }
            let conv = Conv(window: window, group: try a.int("group", default: 1))
            // Constant weights get their fast path prepared once, here.
            return node.constants.count > 1 ? node.constants[1].map { conv.preparing(weights: $0) } ?? conv : conv
        },
    ]
}
