/// Unfolding of image patches into matrix columns, the core of GEMM convolution.
///
/// For one image of `channels x inH x inW`, the column matrix has
/// `channels * kernelH * kernelW` rows and `outH * outW` columns:
/// `col[(c * kH + p) * kW + q][i * outW + j] = x[c][i*sH + p*dH - padT][j*sW + q*dW - padL]`
/// (0 outside the image).
enum Im2Col {
    static func unfold(
        _ x: UnsafePointer<Float>, channels: Int, _ g: WindowGeometry,
        into col: UnsafeMutablePointer<Float>, workspace: Workspace
    ) {
        let rows = channels * g.kernelH * g.kernelW
        let plane = g.inH * g.inW
        let outPlane = g.outH * g.outW
        workspace.parallelChunks(rows, grain: 4) { range in
            for row in range {
                let q = row % g.kernelW
                let p = (row / g.kernelW) % g.kernelH
                let c = row / (g.kernelW * g.kernelH)
                let src = x + c * plane
                let dst = col + row * outPlane
                for i in 0..<g.outH {
                    let y = i * g.strideH + p * g.dilationH - g.padTop
                    let line = dst + i * g.outW
                    guard y >= 0 && y < g.inH else {
                        line.update(repeating: 0, count: g.outW)
                        continue
                    }
                    let srcLine = src + y * g.inW
                    let x0 = q * g.dilationW - g.padLeft
                    if g.strideW == 1 {
                        // Contiguous run: zeros in [0, first), a copy in [first, last), zeros after.
                        let first = min(g.outW, max(0, -x0))
                        let last = max(first, min(g.outW, g.inW - x0))
                        line.update(repeating: 0, count: first)
                        (line + first).update(from: srcLine + x0 + first, count: last - first)
                        (line + last).update(repeating: 0, count: g.outW - last)
                    } else {
                        for j in 0..<g.outW {
                            let xx = j * g.strideW + x0
                            line[j] = xx >= 0 && xx < g.inW ? srcLine[xx] : 0
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of `unfold`: adds each column entry back to the pixel it came from.
    /// `x` must be zeroed (or hold values to accumulate onto) beforehand.
    static func fold(
        _ col: UnsafePointer<Float>, channels: Int, _ g: WindowGeometry,
        into x: UnsafeMutablePointer<Float>, workspace: Workspace
    ) {
        let plane = g.inH * g.inW
        let outPlane = g.outH * g.outW
        let perChannel = g.kernelH * g.kernelW
        // Channels are independent: split them among threads.
        workspace.parallelChunks(channels) { range in
            for c in range {
                let dst = x + c * plane
                for k in 0..<perChannel {
                    let p = k / g.kernelW, q = k % g.kernelW
                    let src = col + (c * perChannel + k) * outPlane
                    for i in 0..<g.outH {
                        let y = i * g.strideH + p * g.dilationH - g.padTop
                        guard y >= 0 && y < g.inH else { continue }
                        let dstLine = dst + y * g.inW
                        let srcLine = src + i * g.outW
                        let x0 = q * g.dilationW - g.padLeft
                        for j in 0..<g.outW {
                            let xx = j * g.strideW + x0
                            if xx >= 0 && xx < g.inW { dstLine[xx] += srcLine[j] }
                        }
                    }
                }
            }
        }
    }
}
