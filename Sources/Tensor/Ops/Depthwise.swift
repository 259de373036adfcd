import CKernels

/// Depthwise convolution, Conv's path when every group has one input channel
/// (`group == C > 1`, MobileNet, EfficientNet, MNASNet, ShuffleNet): output channel `m` reads
/// only input channel `m / multiplier`, `multiplier = M / C`, so a GEMM per group would be a
/// `multiplier x (kH·kW)` by `(kH·kW) x (H'·W')` product, too thin to pay for its im2col.
/// The kernels (`depthwise.c`) run plane by plane instead, the planes split among threads:
///
/// `Y[n, m, i, j] = B[m] + Σ_{p,q} W[m, 0, p, q] · X[n, m / multiplier, i·sH + p·dH − padT, j·sW + q·dW − padL]`
///
/// and the input gradient
/// `dX[n, c, a, b] = Σ_{r < multiplier} Σ_{(i,j,p,q) reading (a, b)} W[c·multiplier + r, 0, p, q] · dY[n, c·multiplier + r, i, j]`.
enum Depthwise {
    /// Whether `plan` is a depthwise convolution.
    static func applies(to plan: Conv.Plan, group: Int) -> Bool {
        group > 1 && plan.cPerGroup == 1
    }

    /// `y [N, M, H', W'] = X ⋆ W + B`, per the formula above, then `activation` (when not nil).
    static func forward(
        _ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, _ p: Conv.Plan,
        activation: FusedActivation?, into y: UnsafeMutablePointer<Float>, workspace: Workspace
    ) {
        withUnsafePointer(to: geometry(p.geometry)) { g in
            withKernelActivation(activation) { a in
                splitting(p.n * p.m, workspace: workspace, scratch: depthwise_scratch_size(g)) { planes, own in
                    depthwise_forward(x, weights, bias, Int32(p.c), Int32(p.mPerGroup), Int32(planes.lowerBound),
                                      Int32(planes.upperBound), g, a, y, own)
                }
            }
        }
    }

    /// `dX [replicas, C, H, W]` from `dY [replicas, M, H', W']`, written (not accumulated).
    static func inputGradient(
        _ dy: UnsafePointer<Float>, replicas: Int, weights: UnsafePointer<Float>, _ p: Conv.Plan,
        into dx: UnsafeMutablePointer<Float>, workspace: Workspace
    ) {
        withUnsafePointer(to: geometry(p.geometry)) { g in
            splitting(replicas * p.c, workspace: workspace, scratch: depthwise_scratch_size(g)) { planes, own in
                depthwise_input_gradient(dy, weights, Int32(p.c), Int32(p.mPerGroup), Int32(planes.lowerBound),
                                         Int32(planes.upperBound), g, dx, own)
            }
        }
    }

    /// Runs `body(planes, scratch)` over `0..<planes` split into up to `threads` contiguous
    /// chunks, each with its own `scratch` floats of the workspace.
    private static func splitting(
        _ planes: Int, workspace: Workspace, scratch: Int, _ body: (Range<Int>, UnsafeMutablePointer<Float>) -> Void
    ) {
        let chunks = max(1, min(workspace.threads, planes))
        let buffer = workspace.scratch(.depthwisePlanes, count: scratch * chunks).baseAddress!
        workspace.parallelFor(chunks) { c in
            body(planes * c / chunks ..< planes * (c + 1) / chunks, buffer + scratch * c)
        }
    }

    private static func geometry(_ g: WindowGeometry) -> depthwise_geometry {
        depthwise_geometry(
            in_height: Int32(g.inH), in_width: Int32(g.inW), out_height: Int32(g.outH), out_width: Int32(g.outW),
            kernel_height: Int32(g.kernelH), kernel_width: Int32(g.kernelW),
            stride_height: Int32(g.strideH), stride_width: Int32(g.strideW),
            dilation_height: Int32(g.dilationH), dilation_width: Int32(g.dilationW),
            pad_top: Int32(g.padTop), pad_left: Int32(g.padLeft))
    }
}
