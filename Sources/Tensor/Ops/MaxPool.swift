/// Max pooling, ONNX `MaxPool`, 1-D or 2-D, float32.
///
/// Input `X [N, C, H, W]` (or `[N, C, W]`), output `Y [N, C, H', W']` with the window's
/// geometry (kernel, strides, dilations, pads or `auto_pad`, `ceil_mode`):
/// `Y[n, c, i, j] = max_{p, q} X[n, c, i·sH + p·dH − padT, j·sW + q·dW − padL]` over the taps
/// inside the input (padding never wins). The optional `Indices` output is not supported.
///
/// VJP: each `dY[n, c, i, j]` goes to the first maximum of its window in row-major tap
/// order (as PyTorch), accumulating where windows overlap. Replicas: supported (the
/// maxima come from the one forward image).
public struct MaxPool: Operator {
    public var window: Window

    public init(window: Window) {
        self.window = window
    }

    public var opType: String { "MaxPool" }
    /// `X`, to find each window's maximum again.
    public var backwardUses: BackwardUses { .inputs(0) }

    private func geometry(_ shape: [Int]) throws -> (n: Int, c: Int, g: WindowGeometry) {
        let (n, c, h, w) = try window.planar(shape, op: opType)
        return (n, c, try window.geometry(height: h, width: w, op: opType))
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        let x = try inputs.required(0, of: opType)
        try requireFloat(x, opType)
        guard outputs.count == 1 else {
            throw EngineError.invalid(op: opType, "the optional Indices output is not supported; only Y may be used")
        }
        let (n, c, g) = try geometry(x.shape)
        outputs[0].reset(shape: try window.outputShape(batch: n, channels: c, g, op: opType))
        let (rows, columns) = PoolingTaps.of(g)
        let inPlane = g.inH * g.inW, outPlane = g.outH * g.outW
        x.floats.withUnsafeBufferPointer { xp in
            outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                rows.withPointers { rowTaps in
                    columns.withPointers { columnTaps in
                        guard let xs = xp.baseAddress, let ys = yp.baseAddress else { return }
                        workspace.parallelChunks(n * c) { planes in
                            for plane in planes {
                                let x = xs + plane * inPlane, y = ys + plane * outPlane
                                for i in 0..<g.outH {
                                    for j in 0..<g.outW {
                                        y[i * g.outW + j] = Self.maximum(x, g, rowTaps, columnTaps, i, j)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The maximum of output cell `(i, j)`'s window, −∞ when it holds no input element.
    @inline(__always)
    static func maximum(
        _ x: UnsafePointer<Float>, _ g: WindowGeometry, _ rows: PoolingTaps.Pointers, _ columns: PoolingTaps.Pointers,
        _ i: Int, _ j: Int
    ) -> Float {
        var result = -Float.infinity
        let start = rows.first[i] &* g.inW &+ columns.first[j], columnCount = columns.count[j]
        let rowStep = g.dilationH &* g.inW, columnStep = g.dilationW
        for p in 0..<rows.count[i] {
            let line = x + (start &+ p &* rowStep)
            for q in 0..<columnCount { result = max(result, line[q &* columnStep]) }
        }
        return result
    }

    /// The plane offset of the first maximum in output cell `(i, j)`'s window (row-major
    /// tap order), or −1 when the window holds no input element.
    @inline(__always)
    static func argmax(
        _ x: UnsafePointer<Float>, _ g: WindowGeometry, _ rows: PoolingTaps.Pointers, _ columns: PoolingTaps.Pointers,
        _ i: Int, _ j: Int
    ) -> Int {
        let rowCount = rows.count[i], columnCount = columns.count[j]
        guard rowCount > 0, columnCount > 0 else { return -1 }
        let start = rows.first[i] &* g.inW &+ columns.first[j]
        let rowStep = g.dilationH &* g.inW, columnStep = g.dilationW
        var best = start, maximum = x[start]
        for p in 0..<rowCount {
            let line = start &+ p &* rowStep
            for q in 0..<columnCount {
                // Selects rather than branches: which tap wins is data-dependent.
                let at = line &+ q &* columnStep, value = x[at], wins = value > maximum
                best = wins ? at : best
                maximum = wins ? value : maximum
            }
        }
        return best
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let x = try inputs.required(0, of: opType)
        let (n, c, g) = try geometry(x.shape)
        let replicas = try replicaCount(gradient, output: [n, c] + window.outputSpatialShape(g), op: opType)
        var dx = Tensor.zeros(try replicated(x.shape, replicas, op: opType))
        let (rows, columns) = PoolingTaps.of(g)
        let inPlane = g.inH * g.inW, outPlane = g.outH * g.outW, planes = n * c
        x.floats.withUnsafeBufferPointer { xp in
            gradient.floats.withUnsafeBufferPointer { dyp in
                dx.floats.withUnsafeMutableBufferPointer { dxp in
                    rows.withPointers { rowTaps in
                        columns.withPointers { columnTaps in
                            guard let xs = xp.baseAddress, let dys = dyp.baseAddress, let dxs = dxp.baseAddress else { return }
                            context.workspace.parallelChunks(planes) { range in
                                for plane in range {
                                    let x = xs + plane * inPlane
                                    for o in 0..<outPlane {
                                        let at = Self.argmax(x, g, rowTaps, columnTaps, o / g.outW, o % g.outW)
                                        guard at >= 0 else { continue }
                                        for replica in 0..<replicas {
                                            let image = replica * planes + plane
                                            dxs[image * inPlane + at] += dys[image * outPlane + o]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return [dx]
    }
}
