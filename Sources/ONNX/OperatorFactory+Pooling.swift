import Tensor

extension OperatorFactory {
    static let poolingBuilders: [String: Builder] = [
        "MaxPool": { node in
            // storage_order only lays out the Indices output, which MaxPool rejects.
            let order = try node.attributes.int("storage_order", default: 0)
            guard order == 0 || order == 1 else { throw node.invalid("storage_order must be 0 or 1, got \(order)") }
            guard node.outputCount == 1 else { throw node.invalid("the optional Indices output is not supported; only Y may be used") }
            return MaxPool(window: try node.poolingWindow())
        },
        "AveragePool": { node in
            AveragePool(window: try node.poolingWindow(),
                        countIncludePad: try node.attributes.int("count_include_pad", default: 0) != 0)
        },
        "GlobalAveragePool": { _ in GlobalAveragePool() },
    ]
}

extension NodeContext {
    /// The sliding window of a pooling node: kernel_shape, strides, pads, dilations, auto_pad, ceil_mode.
    func poolingWindow() throws -> Window {
        let a = attributes
        guard let kernel = try a.ints("kernel_shape") else { throw invalid("kernel_shape is required") }
        let strides = try a.ints("strides") ?? [], dilations = try a.ints("dilations") ?? [], pads = try a.ints("pads") ?? []
        let autoPad = try autoPad(), ceilMode = try a.int("ceil_mode", default: 0) != 0
        return try building {
            try Window(kernel: kernel, strides: strides, dilations: dilations, pads: pads, autoPad: autoPad, ceilMode: ceilMode, op: op)
        }
    }
}
