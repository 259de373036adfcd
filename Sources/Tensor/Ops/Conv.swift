import CKernels

/// 2-D (or 1-D) convolution, ONNX `Conv`, NCHW, grouped, with an optional bias.
///
/// Inputs: `X [N, C, H, W]`, `W [M, C/group, kH, kW]`, optional `B [M]`. Output `[N, M, H', W']`:
/// `Y[n, m, i, j] = B[m] + Σ_{c, p, q} W[m, c, p, q] · X[n, g·C/group + c, i·sH + p·dH − padT, j·sW + q·dW − padL]`
/// where `g = m / (M / group)`.
///
/// Forward, by the first path that applies:
/// - Winograd F(4x4, 3x3) for 3x3 and F(2x2, 5x5) for 5x5 stride-1, undilated, ungrouped
///   kernels whose weights are constant (`preparing(weights:)`), with at least
///   `WinogradKernel.minimumInputChannels` input channels and at least
///   `WinogradKernel.minimumOutputPixels(kernelSize:)` output pixels over the batch (AlexNet's
///   13x13 layers at 5 images or more: the transformed weights are read once per chunk of
///   tiles, whichever images the tiles belong to);
/// - depthwise (one input channel per group, `Depthwise`), plane by plane in C;
/// - otherwise im2col of the whole image (none for a 1x1, stride-1, unpadded kernel: the image
///   is its own column matrix), then one GEMM per group and image, the groups split among
///   threads when there are many (`Plan.eachGroup`), then the bias and activation on that
///   image's planes while they are still in cache.
///
/// VJP with respect to `X`: the same Winograd path with the flipped kernel, the depthwise
/// kernel's adjoint, or `dCol_g = W_gᵀ · dY_g` then col2im.
public struct Conv: ActivatingOperator {
    public var window: Window
    public var group: Int
    /// The constant weights' Winograd transform, made at the first run that uses it.
    public private(set) var winograd: LazyWinogradKernel?

    public init(window: Window, group: Int = 1) {
        self.window = window
        self.group = group
    }

    /// This convolution with its fast path prepared for constant 3x3 or 5x5 `weights`
    /// `[M, C/group, kH, kW]` with at least `minimumInputChannels` input channels, used when the
    /// output has at least `minimumOutputPixels` pixels over the batch (or the gradient's
    /// replicas; nil: `WinogradKernel.minimumOutputPixels(kernelSize:)`).
    public func preparing(
        weights: Tensor,
        minimumInputChannels: Int = WinogradKernel.minimumInputChannels,
        minimumOutputPixels: Int? = nil
    ) -> Conv {
        var prepared = self
        let s = weights.shape
        if s.count == 4, s[1] >= minimumInputChannels, s[2] == s[3], WinogradKernel.kernelSizes.contains(s[2]),
           group == 1, weights.elementType == .float32 {
            prepared.winograd = LazyWinogradKernel(
                weights: weights.floats, outChannels: s[0], inChannels: s[1], kernelSize: s[2],
                minimumOutputPixels: minimumOutputPixels ?? WinogradKernel.minimumOutputPixels(kernelSize: s[2]))
        }
        return prepared
    }

    public var opType: String { "Conv" }
    /// The weights (a runtime input in conformance tests); of `X`, only the shape.
    public var backwardUses: BackwardUses { .inputs(1) }

    /// Shapes and geometry of one call.
    struct Plan {
        let n, c, m: Int
        let geometry: WindowGeometry
        var cPerGroup: Int
        var mPerGroup: Int
        var kernelArea: Int { geometry.kernelH * geometry.kernelW }
        /// Rows of the column matrix per group: `C/group · kH · kW`.
        var k: Int { cPerGroup * kernelArea }
        var outPlane: Int { geometry.outH * geometry.outW }
        var inPlane: Int { geometry.inH * geometry.inW }
        /// The Winograd kernel, when it applies: the prepared kernel's size r (3 or 5), stride 1,
        /// no dilation, at most r − 1 cells of leading padding (so the input gradient's padding
        /// `r − 1 − pad` is not negative), and an output over all `images` large enough to repay
        /// the transform's weight memory. The first call that applies builds the transform
        /// (36/r² times the weights' size) under the lazy kernel's lock.
        func winogradKernelMakingIfNeeded(_ lazy: LazyWinogradKernel?, images: Int) -> WinogradKernel? {
            let g = geometry
            guard let lazy, lazy.outChannels == m, lazy.inChannels == c,
                  g.kernelH == lazy.kernelSize, g.kernelW == lazy.kernelSize,
                  g.strideH == 1, g.strideW == 1, g.dilationH == 1, g.dilationW == 1,
                  g.padTop < lazy.kernelSize, g.padLeft < lazy.kernelSize,
                  images.multipliedReportingOverflow(by: g.outH * g.outW).partialValue >= lazy.minimumOutputPixels
            else { return nil }
            return lazy.kernel
        }
        /// Runs `body(g, gemmWorkspace)` for every group `g`: with many groups (ResNeXt's 32,
        /// RegNet's), or as many as the threads evenly share, the groups are split among the
        /// threads and each product runs on one (`gemmWorkspace` nil); otherwise one group after
        /// the other, each product threaded.
        func eachGroup(_ group: Int, workspace: Workspace, _ body: (Int, Workspace?) -> Void) {
            let threads = workspace.threads
            guard threads > 1, group > 1, group % threads == 0 || group >= 4 * threads else {
                for g in 0..<group { body(g, workspace) }
                return
            }
            workspace.parallelChunks(group) { groups in
                for g in groups { body(g, nil) }
            }
        }
        /// A 1x1, stride-1, unpadded kernel needs no unfolding: the image is its own column matrix.
        var isPointwise: Bool {
            let g = geometry
            return g.kernelH == 1 && g.kernelW == 1 && g.strideH == 1 && g.strideW == 1
                && g.padTop == 0 && g.padLeft == 0 && g.padBottom == 0 && g.padRight == 0
        }
    }

    func plan(x: [Int], w: [Int]) throws -> Plan {
        let (n, c, h, wd) = try window.planar(x, op: opType)
        guard w.count == x.count else {
            throw EngineError.invalid(op: opType, "weights of shape \(w) do not match input of shape \(x)")
        }
        let m = w[0]
        guard group >= 1, c % group == 0, m % group == 0, w[1] * group == c else {
            throw EngineError.invalid(op: opType, "input has \(c) channels but weights \(w) with group \(group) expect \(w[1] * group)")
        }
        let kernel = window.spatialRank == 1 ? (1, w[2]) : (w[2], w[3])
        guard kernel == (window.kernel.height, window.kernel.width) else {
            throw EngineError.invalid(op: opType, "kernel_shape \(window.kernel) does not match weights \(w)")
        }
        let geometry = try window.geometry(height: h, width: wd, op: opType)
        return Plan(n: n, c: c, m: m, geometry: geometry, cPerGroup: c / group, mPerGroup: m / group)
    }

    /// The forward path that inputs shaped `x` and weights shaped `w` take (for profiles):
    /// "winograd", "depthwise", "1x1" (a GEMM on the image itself), "grouped" or "im2col".
    func pathName(x: [Int], w: [Int]) -> String {
        guard let p = try? plan(x: x, w: w) else { return "" }
        if p.winogradKernelMakingIfNeeded(winograd, images: p.n) != nil { return "winograd" }
        if Depthwise.applies(to: p, group: group) { return "depthwise" }
        if p.isPointwise { return group > 1 ? "1x1 grouped" : "1x1" }
        return group > 1 ? "grouped" : "im2col"
    }

    public func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
        try forward(inputs, into: &outputs, workspace: workspace, activation: nil)
    }

    public func forward(
        _ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace, activation: FusedActivation?
    ) throws {
        let x = try inputs.required(0, of: opType), w = try inputs.required(1, of: opType)
        let bias = inputs.optional(2)
        let p = try plan(x: x.shape, w: w.shape)
        if let bias, bias.count != p.m {
            throw EngineError.invalid(op: opType, "bias has \(bias.count) values for \(p.m) output channels")
        }
        outputs[0].reset(shape: try window.outputShape(batch: p.n, channels: p.m, p.geometry, op: opType))
        if let kernel = p.winogradKernelMakingIfNeeded(winograd, images: p.n) {
            let g = p.geometry
            x.floats.withUnsafeBufferPointer { xp in
                outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                    (bias?.floats ?? []).withUnsafeBufferPointer { bp in
                        Winograd.convolve(xp.baseAddress!, images: p.n, height: g.inH, width: g.inW,
                                          padTop: g.padTop, padLeft: g.padLeft, outHeight: g.outH, outWidth: g.outW,
                                          kernel: kernel, transposed: false, bias: bias == nil ? nil : bp.baseAddress,
                                          activation: activation, into: yp.baseAddress!, workspace: workspace)
                    }
                }
            }
            return
        }
        if Depthwise.applies(to: p, group: group) {
            x.floats.withUnsafeBufferPointer { xp in
                w.floats.withUnsafeBufferPointer { wp in
                    outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                        (bias?.floats ?? []).withUnsafeBufferPointer { bp in
                            Depthwise.forward(xp.baseAddress!, weights: wp.baseAddress!, bias: bias == nil ? nil : bp.baseAddress,
                                              p, activation: activation, into: yp.baseAddress!, workspace: workspace)
                        }
                    }
                }
            }
            return
        }
        // One column matrix for all groups: group g's rows are the block [g·k, (g+1)·k). A batch
        // of at least as many images as threads is split by image: each thread unfolds and
        // multiplies whole images into its own column matrix, so no product is split and no
        // column matrix is packed by two threads.
        let threads = workspace.threads
        let byImage = threads > 1 && p.n >= threads
        let columnCount = p.c * p.kernelArea * p.outPlane
        let col = p.isPointwise ? nil : workspace.scratch(.convColumns, count: (byImage ? threads : 1) * columnCount)
        x.floats.withUnsafeBufferPointer { xp in
            w.floats.withUnsafeBufferPointer { wp in
                outputs[0].floats.withUnsafeMutableBufferPointer { yp in
                    (bias?.floats ?? []).withUnsafeBufferPointer { bp in
                        withKernelActivation(activation) { a in
                            /// Image `n` through the columns at `columns` (nil: pointwise), on `workspace`'s threads.
                            func convolve(_ n: Int, columns: UnsafeMutablePointer<Float>?, workspace: Workspace) {
                                let image = xp.baseAddress! + n * p.c * p.inPlane
                                if let columns {
                                    Im2Col.unfold(image, channels: p.c, p.geometry, into: columns, workspace: workspace)
                                }
                                let source = columns.map { UnsafePointer($0) } ?? image
                                let y = yp.baseAddress! + n * p.m * p.outPlane
                                p.eachGroup(group, workspace: workspace) { g, gemmWorkspace in
                                    BLAS.gemm(m: p.mPerGroup, n: p.outPlane, k: p.k,
                                              a: wp.baseAddress! + g * p.mPerGroup * p.k, lda: p.k,
                                              b: source + g * p.k * p.outPlane, ldb: p.outPlane,
                                              c: y + g * p.mPerGroup * p.outPlane, ldc: p.outPlane, workspace: gemmWorkspace)
                                }
                                guard bias != nil || a != nil else { return }
                                // This image's planes, while the product has left them in cache.
                                workspace.parallelChunks(p.m) { planes in
                                    bias_activation(yp.baseAddress!, Int32(p.m), p.outPlane,
                                                    Int32(n * p.m + planes.lowerBound), Int32(n * p.m + planes.upperBound),
                                                    bias == nil ? nil : bp.baseAddress, a)
                                }
                            }
                            guard byImage else {
                                for n in 0..<p.n { convolve(n, columns: col?.baseAddress, workspace: workspace) }
                                return
                            }
                            workspace.parallelFor(threads) { thread in
                                let alone = Workspace(threads: 1)
                                for n in stride(from: thread, to: p.n, by: threads) {
                                    convolve(n, columns: col.map { $0.baseAddress! + thread * columnCount }, workspace: alone)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public func backward(
        _ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext
    ) throws -> [Tensor] {
        let shape = try context.inputShape(0, of: opType), w = try inputs.required(1, of: opType)
        let p = try plan(x: shape, w: w.shape)
        let replicas = gradient.shape[0]
        var dx = Tensor.zeros([replicas] + shape.dropFirst())
        let workspace = context.workspace
        if let kernel = p.winogradKernelMakingIfNeeded(winograd, images: replicas) {
            // The input gradient is the correlation of dY, padded by r − 1 − pad, with the flipped kernel.
            let g = p.geometry, reach = kernel.kernelSize - 1
            gradient.floats.withUnsafeBufferPointer { dyp in
                dx.floats.withUnsafeMutableBufferPointer { dxp in
                    Winograd.convolve(dyp.baseAddress!, images: replicas, height: g.outH, width: g.outW,
                                      padTop: reach - g.padTop, padLeft: reach - g.padLeft, outHeight: g.inH, outWidth: g.inW,
                                      kernel: kernel, transposed: true, bias: nil, activation: nil,
                                      into: dxp.baseAddress!, workspace: workspace)
                }
            }
            return [dx]
        }
        if Depthwise.applies(to: p, group: group) {
            gradient.floats.withUnsafeBufferPointer { dyp in
                w.floats.withUnsafeBufferPointer { wp in
                    dx.floats.withUnsafeMutableBufferPointer { dxp in
                        Depthwise.inputGradient(dyp.baseAddress!, replicas: replicas, weights: wp.baseAddress!, p,
                                                into: dxp.baseAddress!, workspace: workspace)
                    }
                }
            }
            return [dx]
        }
        let dcol = p.isPointwise ? nil : workspace.scratch(.convColumns, count: p.c * p.kernelArea * p.outPlane)
        gradient.floats.withUnsafeBufferPointer { dyp in
            w.floats.withUnsafeBufferPointer { wp in
                dx.floats.withUnsafeMutableBufferPointer { dxp in
                    for n in 0..<replicas {
                        let dy = dyp.baseAddress! + n * p.m * p.outPlane
                        let dImage = dxp.baseAddress! + n * p.c * p.inPlane
                        // dCol_g = W_gᵀ · dY_g, straight into dX when no unfolding was needed.
                        let target = dcol?.baseAddress ?? dImage
                        p.eachGroup(group, workspace: workspace) { g, gemmWorkspace in
                            BLAS.gemm(transA: true, m: p.k, n: p.outPlane, k: p.mPerGroup,
                                      a: wp.baseAddress! + g * p.mPerGroup * p.k, lda: p.k,
                                      b: dy + g * p.mPerGroup * p.outPlane, ldb: p.outPlane,
                                      c: target + g * p.k * p.outPlane, ldc: p.outPlane, workspace: gemmWorkspace)
                        }
                        if let dcol {
                            Im2Col.fold(dcol.baseAddress!, channels: p.c, p.geometry, into: dImage, workspace: workspace)
                        }
                    }
                }
            }
        }
        return [dx]
    }
}
