/// Average pooling, ONNX `AveragePool`, 1-D or 2-D, float32.
///
/// Input `X [N, C, H, W]` (or `[N, C, W]`), output `Y [N, C, H', W']` with the window's
/// geometry (kernel, strides, dilations, pads or `auto_pad`, `ceil_mode`):
/// `Y[n, c, i, j] = (1 / D[i, j]) · Σ_{taps in the input} X[n, c, i·sH + p·dH − padT, j·sW + q·dW − padL]`
/// where `D` counts the taps inside the input, or with `countIncludePad` the taps inside
/// the padded input (taps beyond it, from `ceil_mode`, never count).
///
/// VJP: `dX[tap] += dY[n, c, i, j] / D[i, j]` for every tap of every window.
/// Replicas: supported.
public struct AveragePool: Operator {
    public var window: Window
    public var countIncludePad: Bool

    public init(window: Window, countIncludePad: Bool = false) {
        self.window = window
        self.countIncludePad = countIncludePad
    }

    public var opType: String { "AveragePool" }
    /// Only the input's shape is read.
    public var backwardUses: BackwardUses { .nothing }

    private func geometry(_ shape: [Int]) throws -> (n: Int, c: Int, g: WindowGeometry) {
        let (n, c, h, w) = try window.planar(shape, op: opType)
        return (n, c, try window.geometry(height: h, width: w, op: opType))
    }

    /// Calls `body(plane, output offset, offset of the first tap, tap rows, taps per row, D)`
    /// for every output cell of `planes` planes, the planes split among threads.
    private func forEachWindow(
        _ g: WindowGeometry, planes: Int, _ workspace: Workspace,
        _ body: (_ plane: Int, _ o: Int, _ start: Int, _ rows: Int, _ columns: Int, _ divisor: Float) -> Void
    ) {
        let (rowTaps, columnTaps) = PoolingTaps.of(g)
        let includePad = countIncludePad
        rowTaps.withPointers { r in
            columnTaps.withPointers { c in
                workspace.parallelChunks(planes) { range in
                    for plane in range {
                        for i in 0..<g.outH {
                            for j in 0..<g.outW {
                                let divisor = includePad ? r.padded[i] * c.padded[j] : r.count[i] * c.count[j]
                                body(plane, i * g.outW + j, r.first[i] * g.inW + c.first[j], r.count[i], c.count[j], Float(divisor))
                            }
                        }
                    }
                }
            }
        }
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        try requireFloat(x, opType)
        let (n, c, g) = try geometry(x.shape)
        outputs[0].reset(shape: try window.outputShape(batch: n, channels: c, g, op: opType))
        let inPlane = g.inH * g.inW, outPlane = g.outH * g.outW
        let rowStep = g.dilationH * g.inW, columnStep = g.dilationW
        x.floats.withUnsafeBufferPointer { xp in
            outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                guard let xs = xp.baseAddress, let ys = yp.baseAddress else { return }
                forEachWindow(g, planes: n * c, workspace) { plane, o, start, rows, columns, divisor in
                    let x = xs + plane * inPlane + start
                    var sum: Float = 0
                    for a in 0..<rows {
                        let line = x + a * rowStep
                        for b in 0..<columns { sum += line[b * columnStep] }
                    }
                    ys[plane * outPlane + o] = sum / divisor
                }
            }
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let shape = try context.inputShape(0, of: opType)
        let (n, c, g) = try geometry(shape)
        let replicas = try replicaCount(gradient, output: [n, c] + window.outputSpatialShape(g), op: opType)
        var dx = Tensor.zeros(try replicated(shape, replicas, op: opType))
        let inPlane = g.inH * g.inW, outPlane = g.outH * g.outW
        let rowStep = g.dilationH * g.inW, columnStep = g.dilationW
        gradient.floats.withUnsafeBufferPointer { dyp in
            dx.floats.withUnsafeMutableBufferPointer { dxp in
                guard let dys = dyp.baseAddress, let dxs = dxp.baseAddress else { return }
                forEachWindow(g, planes: replicas * n * c, context.workspace) { plane, o, start, rows, columns, divisor in
                    let dx = dxs + plane * inPlane + start
                    let share = dys[plane * outPlane + o] / divisor
                    for a in 0..<rows {
                        let line = dx + a * rowStep
                        for b in 0..<columns { line[b * columnStep] += share }
                    }
                }
            }
        }
        return [dx]
    }
}
