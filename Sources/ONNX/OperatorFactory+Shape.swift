import Tensor

extension OperatorFactory {
    /// Operators that move elements without arithmetic, including the shape plumbing
    /// exporters emit around flattening (Shape → Gather → Unsqueeze → Concat → Reshape).
    static let shapeBuilders: [String: Builder] = [
        "Flatten": { node in Flatten(axis: try node.attributes.int("axis", default: 1)) },
        "Reshape": { node in
            try node.requireConstants(1...1, "the shape")
            return Reshape(allowZero: try node.attributes.int("allowzero", default: 0) != 0)
        },
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
        "Gather": { node in
            try node.requireConstants(1...1, "indices")
            return Gather(axis: try node.attributes.int("axis", default: 0))
        },
        "Slice": { node in
            // Attributes before opset 10, inputs (which must be constants) from 10.
            guard node.opset < 10 else {
                try node.requireConstants(1...4, "starts, ends, axes and steps")
                return StridedSlice()
            }
            let a = node.attributes
            guard let starts = try a.ints("starts"), let ends = try a.ints("ends") else { throw node.invalid("starts and ends are required") }
            return StridedSlice(.init(starts: starts, ends: ends, axes: try a.ints("axes")))
        },
        "Split": { node in
            // Split sizes: an attribute before opset 13, a constant input from 13; else num_outputs (18) or one piece per output.
            let a = node.attributes
            let sizes = try node.opset < 13 ? a.ints("split") : nil
            if node.opset >= 13 { try node.requireConstants(1...1, "split") }
            let parts = try node.opset >= 18 ? a.int("num_outputs") : nil
            if let parts, parts != node.outputCount {
                throw node.invalid("num_outputs is \(parts) but the node has \(node.outputCount) outputs")
            }
            return Split(axis: try a.int("axis", default: 0), sizes: sizes, parts: node.outputCount, unevenLast: parts != nil, output: 0)
        },
        "Pad": { node in
            let a = node.attributes
            let text = try a.string("mode") ?? "constant"
            guard let mode = Pad.Mode(rawValue: text) else {
                throw node.invalid("mode '\(text)' is not one of \(Pad.Mode.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            // Pads and value are attributes before opset 11 ("paddings" in opset 1), constant inputs from 11.
            guard node.opset < 11 else {
                try node.requireConstants(1...3, "pads, constant_value and axes")
                return Pad(mode: mode)
            }
            guard let pads = try a.ints(node.opset < 2 ? "paddings" : "pads") else { throw node.invalid("pads are required") }
            return Pad(mode: mode, pads: pads, value: try a.float("value", default: 0))
        },
        "Cast": { node in
            guard let code = try node.attributes.int("to") else { throw node.invalid("the attribute 'to' is required") }
            node.attributes.ignore("saturate")  // float8 targets only, which are refused
            guard let target = castTargets[code] else {
                throw node.invalid("cannot cast to data type \(code); accepted: float, double, float16, int8...int64, uint8...uint64, bool")
            }
            switch target {
            case .float32, .float16: break
            case .integer, .bool: try node.requireConstants(0...0, "the input of a cast to \(target)")
            }
            return Cast(to: target)
        },
        "ConstantOfShape": { node in
            try node.requireConstants(0...0, "the shape")
            return ConstantOfShape(value: try node.attributes.tensor("value") ?? Tensor(shape: [1], floats: [0]))
        },
        "Expand": { node in
            try node.requireConstants(1...1, "the shape")
            return Expand()
        },
        "Tile": { node in
            try node.requireConstants(1...1, "repeats")
            return Tile()
        },
        "Range": { node in
            try node.requireConstants(0...2, "start, limit and delta")
            return NumericRange()
        },
    ]

    /// ONNX `Cast` data types (`TensorProto.DataType`) the engine can hold, by code.
    static let castTargets: [Int: Cast.Target] = [
        1: .float32, 11: .float32, 10: .float16, 9: .bool,
        2: .integer(bits: 8, signed: false), 3: .integer(bits: 8, signed: true),
        4: .integer(bits: 16, signed: false), 5: .integer(bits: 16, signed: true),
        6: .integer(bits: 32, signed: true), 7: .integer(bits: 64, signed: true),
        12: .integer(bits: 32, signed: false), 13: .integer(bits: 64, signed: false),
    ]
}

extension NodeContext {
    /// Squeeze and Unsqueeze axes known at build time: the attribute before opset 13, a
    /// constant input 1 from 13; nil when they come at run time (or are absent).
    func axes() throws -> [Int]? {
        if opset < 13 { return try attributes.ints("axes") }
        try requireConstants(1...1, "axes")
        return constant(1)?.intValues
    }
}

extension NodeContext {
    /// Throws unless each present input at `positions` is a constant: the engine computes
    /// float32 tensors, so integer parameters (shapes, pads, starts, ...) must come from
    /// initializers, `Constant` nodes, or subgraphs folded when the model loads.
    func requireConstants(_ positions: ClosedRange<Int>, _ what: String) throws {
        if let position = positions.first(where: runtimeInputs.contains) {
            throw invalid("\(what) must be constant (initializers, Constant nodes or values computed from shapes when the model loads); input \(position) is computed at run time")
        }
    }
}
