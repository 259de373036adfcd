/// ONNX `Resize` (opset 10 and later), nearest or linear, on float32 `X [N, C, D1, ...]`:
/// each spatial axis is resampled on its own (both modes are separable), so 2-D linear
/// is bilinear. The batch and channel axes are never resized.
///
/// The output extents are `sizes`, or `floor(extent · scale)` from `scales`. Output
/// coordinate `o` maps to input coordinate `x` by `coordinates` (with `s` the scale, or
/// `out / in` when sizes are given): `halfPixel` `(o + ½)/s − ½`; `pytorchHalfPixel` the
/// same, but 0 when `out = 1`; `alignCorners` `o · (in − 1)/(in · s − 1)` (unfloored, as
/// ONNX; 0 when `out = 1`);
/// `asymmetric` `o / s`; `tfHalfPixelForNN` `(o + ½)/s`. Nearest takes the input element
/// at `x` rounded by `nearest` and clamped to the axis; linear weighs the two neighbours
/// `⌊x⌋` and `⌊x⌋ + 1` by `1 − f` and `f` (`f = x − ⌊x⌋`), each clamped to the axis.
///
/// `scales` (float32) and `sizes` (int64) are inputs: `scalesInput` (1 at opset 10, 2
/// after, where input 1 is the unused `roi`) and `sizesInput` (3 from opset 11); exactly
/// one is given. The output's size is checked against `maximumComputedElements`.
///
/// VJP: each `dY` element is added to the input elements it was taken from, by the same
/// weights. Replicas: supported.
public struct Resize: Operator {
    public enum Mode: String, Sendable { case nearest, linear }

    public enum Coordinates: String, Sendable, CaseIterable {
        case halfPixel = "half_pixel", pytorchHalfPixel = "pytorch_half_pixel", alignCorners = "align_corners"
        case asymmetric, tfHalfPixelForNN = "tf_half_pixel_for_nn"
    }

    public enum Nearest: String, Sendable, CaseIterable {
        case roundPreferFloor = "round_prefer_floor", roundPreferCeil = "round_prefer_ceil", floor, ceil
    }

    public var mode: Mode
    public var coordinates: Coordinates
    public var nearest: Nearest
    public var scalesInput: Int
    public var sizesInput: Int?

    public init(mode: Mode, coordinates: Coordinates = .halfPixel, nearest: Nearest = .roundPreferFloor,
                scalesInput: Int = 2, sizesInput: Int? = 3) {
        self.mode = mode
        self.coordinates = coordinates
        self.nearest = nearest
        self.scalesInput = scalesInput
        self.sizesInput = sizesInput
    }

    public var opType: String { "Resize" }
    /// Reads the scales or sizes (`X`'s shape comes with the context).
    public var backwardUses: BackwardUses { .inputs(1, 2, 3) }

    /// For one axis: each output position's two input neighbours and their weights.
    struct Taps {
        var low: [Int] = [], high: [Int] = [], highWeight: [Float] = []
    }

    /// For an input shaped `shape`: each resized axis with its taps, in axis order.
    private func plan(_ shape: [Int], _ inputs: [Tensor?]) throws -> [(axis: Int, taps: Taps)] {
        guard shape.count >= 3 else { throw EngineError.invalid(op: opType, "expected an input [N, C, D1, ...] of rank 3 or more, got \(shape)") }
        let scales = inputs.optional(scalesInput).flatMap { $0.count == 0 ? nil : $0 }
        let sizes = try sizesInput.flatMap { try integerList(inputs, $0, "sizes", op: opType) }.flatMap { $0.isEmpty ? nil : $0 }
        let output: [Int], factors: [Float]
        switch (scales, sizes) {
        case let (scales?, nil):
            guard scales.elementType == .float32, scales.count == shape.count, scales.floats.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw EngineError.invalid(op: opType, "scales must be \(shape.count) positive finite floats, one per axis of \(shape); got \(scales)")
            }
            factors = scales.floats
            output = try zip(shape, factors).map { extent, scale in
                let size = (Double(extent) * Double(scale)).rounded(.down)
                guard size <= Double(maximumComputedElements) else {
                    throw EngineError.invalid(op: opType, "scales \(factors) make an extent over \(maximumComputedElements)")
                }
                return Int(size)
            }
        case let (nil, sizes?):
            guard sizes.count == shape.count else {
                throw EngineError.invalid(op: opType, "sizes \(sizes) must have one entry per axis of \(shape)")
            }
            output = sizes
            factors = zip(sizes, shape).map { Float($0) / Float($1) }
        default:
            throw EngineError.invalid(op: opType, "exactly one of scales and sizes must be given")
        }
        _ = try checkedCount(output, op: opType)
        guard output[0] == shape[0], output[1] == shape[1], factors[0] == 1, factors[1] == 1 else {
            throw EngineError.invalid(op: opType, "only spatial axes (2 and later) are resized; \(shape) to \(output) changes the batch or channels")
        }
        var axes: [(Int, Taps)] = []
        for axis in 2..<shape.count where output[axis] != shape[axis] || factors[axis] != 1 {
            guard shape[axis] > 0 || output[axis] == 0 else {
                throw EngineError.invalid(op: opType, "cannot resize the empty axis \(axis) of \(shape) to \(output[axis])")
            }
            axes.append((axis, taps(input: shape[axis], output: output[axis], scale: factors[axis])))
        }
        return axes
    }

    private func taps(input n: Int, output count: Int, scale: Float) -> Taps {
        var taps = Taps()
        for o in 0..<count {
            let position = Float(o)
            let x: Float = switch coordinates {
            case .halfPixel: (position + 0.5) / scale - 0.5
            case .pytorchHalfPixel: count > 1 ? (position + 0.5) / scale - 0.5 : 0
            case .alignCorners: count > 1 ? position * Float(n - 1) / (Float(n) * scale - 1) : 0
            case .asymmetric: position / scale
            case .tfHalfPixelForNN: (position + 0.5) / scale
            }
            switch mode {
            case .nearest:
                let fraction = x - x.rounded(.down)
                let picked: Float = switch nearest {
                case .roundPreferFloor: fraction == 0.5 ? x.rounded(.down) : x.rounded()
                case .roundPreferCeil: fraction == 0.5 ? x.rounded(.up) : x.rounded()
                case .floor: x.rounded(.down)
                case .ceil: x.rounded(.up)
                }
                let index = Int(min(max(picked, 0), Float(n - 1)))
                taps.low.append(index)
                taps.high.append(index)
                taps.highWeight.append(0)
            case .linear:
                let floor = x.rounded(.down), fraction = x - floor
                let low = Int(min(max(floor, 0), Float(n - 1))), high = Int(min(max(floor + 1, 0), Float(n - 1)))
                taps.low.append(low)
                taps.high.append(high)
                taps.highWeight.append(fraction)
            }
        }
        return taps
    }

    /// Resamples `source` (of `shape`) along `axis`: `forward`, or the transposed map
    /// (adding each output element into its two input elements) when not.
    private static func resample(_ source: [Float], _ shape: [Int], axis: Int, _ taps: Taps, inputExtent: Int, forward: Bool) -> [Float] {
        let outer = extent(shape, 0..<axis), inner = extent(shape, (axis + 1)..<shape.count)
        let outputExtent = taps.low.count
        var result = [Float](repeating: 0, count: outer * (forward ? outputExtent : inputExtent) * inner)
        source.withUnsafeBufferPointer { s in
            result.withUnsafeMutableBufferPointer { r in
                for o in 0..<outer {
                    for j in 0..<outputExtent {
                        let w = taps.highWeight[j], low = (o * inputExtent + taps.low[j]) * inner
                        let high = (o * inputExtent + taps.high[j]) * inner, at = (o * outputExtent + j) * inner
                        if forward {
                            for i in 0..<inner { r[at + i] = (1 - w) * s[low + i] + w * s[high + i] }
                        } else {
                            for i in 0..<inner {
                                r[low + i] += (1 - w) * s[at + i]
                                r[high + i] += w * s[at + i]
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        try requireFloat(x, opType)
        var shape = x.shape, values = x.floats
        for (axis, taps) in try plan(x.shape, inputs) {
            values = Self.resample(values, shape, axis: axis, taps, inputExtent: shape[axis], forward: true)
            shape[axis] = taps.low.count
        }
        outputs[0] = Tensor(shape: shape, floats: values)
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let input = try context.inputShape(0, of: opType)
        let axes = try plan(input, inputs)
        var output = input
        for (axis, taps) in axes { output[axis] = taps.low.count }
        let replicas = try replicaCount(gradient, output: output, op: opType)
        var shape = try replicated(output, replicas, op: opType), values = gradient.floats
        for (axis, taps) in axes.reversed() {
            values = Self.resample(values, shape, axis: axis, taps, inputExtent: input[axis], forward: false)
            shape[axis] = input[axis]
        }
        return [Tensor(shape: shape, floats: values)]
    }
}
