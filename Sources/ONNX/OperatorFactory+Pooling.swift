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
        "GlobalMaxPool": { _ in GlobalMaxPool() },
        "Resize": { node in
            // Opset 10: inputs X and scales, as Upsample's.
            guard node.opset >= 11 else { return try node.upsampling() }
            let a = node.attributes, mode = try node.resizeMode()
            try node.requireConstants(1...3, "roi, scales and sizes")
            let transform = try a.string("coordinate_transformation_mode") ?? "half_pixel"
            guard let coordinates = Resize.Coordinates(rawValue: transform) else {
                throw node.invalid("coordinate_transformation_mode '\(transform)' is not supported; accepted: \(Resize.Coordinates.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let rounding = try a.string("nearest_mode") ?? "round_prefer_floor"
            guard let nearest = Resize.Nearest(rawValue: rounding) else {
                throw node.invalid("nearest_mode '\(rounding)' is not supported; accepted: \(Resize.Nearest.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            // Cubic-only and crop-only settings have no effect on nearest and linear.
            _ = try a.float("cubic_coeff_a")
            _ = try a.int("exclude_outside")
            _ = try a.float("extrapolation_value")
            if try a.int("antialias", default: 0) != 0 { throw node.invalid("antialias = 1 is not supported") }
            if let policy = try a.string("keep_aspect_ratio_policy"), policy != "stretch" {
                throw node.invalid("keep_aspect_ratio_policy '\(policy)' is not supported; accepted: stretch")
            }
            if try a.ints("axes") != nil { throw node.invalid("the axes attribute is not supported: give scales or sizes for every axis") }
            return Resize(mode: mode, coordinates: coordinates, nearest: nearest)
        },
    ]

    /// Upsample (until opset 9; Resize replaced it at 10).
    static let upsamplingBuilders: [String: Builder] = [
        "Upsample": { node in
            guard node.opset >= 9 else { throw node.invalid("scales as an attribute (opset < 9) are not supported; export at opset 9 or later") }
            return try node.upsampling()
        },
    ]

    /// ReduceMean, ReduceSum, ReduceMax, ReduceL2, ReduceSumSquare.
    static let reductionBuilders: [String: Builder] = Dictionary(uniqueKeysWithValues: Reduce.Kind.allCases.map { kind in
        (kind.rawValue, { node in
            // Axes are an attribute until they become a (constant) input: ReduceSum at opset 13, the others at 18.
            let inputAxes = node.opset >= (kind == .sum ? 13 : 18)
            let a = node.attributes
            let axes = try inputAxes ? nil : a.ints("axes")
            if inputAxes { try node.requireConstants(1...1, "axes") }
            let noop = try inputAxes ? a.int("noop_with_empty_axes", default: 0) != 0 : false
            return Reduce(kind, axes: axes, keepDims: try a.int("keepdims", default: 1) != 0, noopWithEmptyAxes: noop)
        } as Builder)
    })
}

extension NodeContext {
    /// Resize's or Upsample's `mode`.
    func resizeMode() throws -> Resize.Mode {
        let name = try attributes.string("mode") ?? "nearest"
        guard let mode = Resize.Mode(rawValue: name) else { throw invalid("mode '\(name)' is not supported; accepted: nearest, linear") }
        return mode
    }

    /// Upsample (opset 9) and Resize at opset 10: inputs X and scales (a constant), asymmetric
    /// coordinates, nearest rounding down.
    func upsampling() throws -> Resize {
        let mode = try resizeMode()
        try requireConstants(1...1, "scales")
        return Resize(mode: mode, coordinates: .asymmetric, nearest: .floor, scalesInput: 1, sizesInput: nil)
    }

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
