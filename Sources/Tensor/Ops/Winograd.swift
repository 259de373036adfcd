import Foundation

/// Winograd's minimal filtering F(4x4, 3x3) (Lavin and Gray, 2016) for 3x3 convolutions
/// with stride 1, no dilation and one group: each 4x4 output tile costs 36 products per
/// input channel instead of 144.
///
/// With `d` a 6x6 input tile, `g` a 3x3 kernel and the matrices of `WinogradTransforms`,
/// a tile is `Y = Aᵀ [Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B)] A`. Per position `t` of the 6x6 transform
/// domain the channel sum is a matrix product over `T` tiles, done by BLAS:
/// `M_t [T x Cout] = V_t [T x Cin] · U_tᵀ`, with `U_t [Cout x Cin]` (V and M are stored
/// tile-major, `[T][36][C]`, so each product reads rows of stride `36·C`).
///
/// The input gradient of the same convolution is the correlation of `dY` with the
/// flipped, channel-transposed kernel; with the points used, flipping only permutes the
/// transform positions, so it reuses `U`: `M'_t = V'_t · U_{π(t)}`.
enum Winograd {
    /// Floats of scratch per transform-domain buffer; tiles are processed in chunks that fit.
    static let chunkBudget = 1 << 20

    /// Runs a forward convolution (`transposed == false`: `x` has `kernel.inChannels`
    /// channels, `y` gets `kernel.outChannels`) or its input gradient (`transposed == true`:
    /// `x` is `dY` with `outChannels` channels, `y` is `dX` with `inChannels`), where
    /// `y[n, o, i, j] = bias[o] + Σ_c Σ_{p,q<3} x[n, c, i + p − padTop, j + q − padLeft] · k[o, c, p, q]`
    /// and `k` is the kernel (or its flipped transpose), taps outside `x` being zero.
    static func convolve(
        _ x: UnsafePointer<Float>, images: Int, height: Int, width: Int,
        padTop: Int, padLeft: Int, outHeight: Int, outWidth: Int,
        kernel: WinogradKernel, transposed: Bool, bias: UnsafePointer<Float>?,
        into y: UnsafeMutablePointer<Float>, workspace: Workspace
    ) {
        let inChannels = transposed ? kernel.outChannels : kernel.inChannels
        let outChannels = transposed ? kernel.inChannels : kernel.outChannels
        let tileRows = (outHeight + 3) / 4, tileColumns = (outWidth + 3) / 4
        let tilesPerImage = tileRows * tileColumns
        let total = images * tilesPerImage
        let chunk = max(1, min(total, chunkBudget / (36 * max(inChannels, outChannels))))
        let v = workspace.scratch(1, count: 36 * inChannels * chunk).baseAddress!
        let m = workspace.scratch(2, count: 36 * outChannels * chunk).baseAddress!
        let planeIn = height * width, planeOut = outHeight * outWidth
        let u = kernel.u
        let permutation = kernel.flipPermutation

        var first = 0
        while first < total {
            let count = min(chunk, total - first)
            // V[k][t][c] = (Bᵀ d B)[t] for tile k of channel c: each tile's 36 x C block is
            // small and written in place; the product for position t reads rows of stride 36·C.
            workspace.parallelChunks(count) { tiles in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 108) { scratch in
                    let d = scratch.baseAddress!, rows = d + 36, out = d + 72
                    for k in tiles {
                        let tile = first + k
                        let n = tile / tilesPerImage, r = tile % tilesPerImage
                        let top = (r / tileColumns) * 4 - padTop, left = (r % tileColumns) * 4 - padLeft
                        let interior = top >= 0 && left >= 0 && top + 6 <= height && left + 6 <= width
                        for c in 0..<inChannels {
                            let plane = x + (n * inChannels + c) * planeIn
                            if interior {
                                let origin = plane + top * width + left
                                for i in 0..<6 { WinogradTransforms.input(origin + i * width, 1, rows + i * 6, 1) }
                            } else {
                                for i in 0..<6 {
                                    let yy = top + i
                                    for j in 0..<6 {
                                        let xx = left + j
                                        d[i * 6 + j] = yy >= 0 && yy < height && xx >= 0 && xx < width ? plane[yy * width + xx] : 0
                                    }
                                }
                                for i in 0..<6 { WinogradTransforms.input(d + i * 6, 1, rows + i * 6, 1) }
                            }
                            for j in 0..<6 { WinogradTransforms.input(rows + j, 6, out + j, 6) }
                            let target = v + k * 36 * inChannels + c
                            for t in 0..<36 { target[t * inChannels] = out[t] }
                        }
                    }
                }
            }
            // M_t [T x Cout] = V_t · U_tᵀ (forward) or V_t · U_π(t) (input gradient).
            workspace.parallelFor(36) { t in
                u.withUnsafeBufferPointer { weights in
                    let b = weights.baseAddress! + (transposed ? permutation[t] : t) * kernel.outChannels * kernel.inChannels
                    BLAS.gemm(transB: !transposed, m: count, n: outChannels, k: inChannels,
                              a: v + t * inChannels, lda: 36 * inChannels, b: b, ldb: kernel.inChannels,
                              c: m + t * outChannels, ldc: 36 * outChannels)
                }
            }
            // Y tile = Aᵀ M A (+ bias).
            workspace.parallelChunks(count) { tiles in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 36 + 24 + 16) { scratch in
                    let s = scratch.baseAddress!, rows = s + 36, out = s + 60
                    for k in tiles {
                        let tile = first + k
                        let n = tile / tilesPerImage, r = tile % tilesPerImage
                        let top = (r / tileColumns) * 4, left = (r % tileColumns) * 4
                        let height = min(4, outHeight - top), width = min(4, outWidth - left)
                        for o in 0..<outChannels {
                            let source = m + k * 36 * outChannels + o
                            for t in 0..<36 { s[t] = source[t * outChannels] }
                            for i in 0..<6 { WinogradTransforms.output(s + i * 6, 1, rows + i * 4, 1) }
                            for j in 0..<4 { WinogradTransforms.output(rows + j, 4, out + j, 4) }
                            let b = bias?[o] ?? 0
                            let plane = y + (n * outChannels + o) * planeOut + top * outWidth + left
                            for i in 0..<height {
                                for j in 0..<width { plane[i * outWidth + j] = out[i * 4 + j] + b }
                            }
                        }
                    }
                }
            }
            first += count
        }
    }
}

/// Constant 3x3 weights whose Winograd transform is made on first use, once, and shared by
/// every executor (it holds four times the weights' memory, so layers too small to gain from
/// it never make it).
public final class LazyWinogradKernel: @unchecked Sendable {
    public let outChannels: Int
    public let inChannels: Int
    /// Smaller outputs use im2col.
    public let minimumOutputPixels: Int
    private let weights: [Float]
    private let lock = NSLock()
    private var made: WinogradKernel?

    init(weights: [Float], outChannels: Int, inChannels: Int, minimumOutputPixels: Int) {
        self.weights = weights
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.minimumOutputPixels = minimumOutputPixels
    }

    var kernel: WinogradKernel {
        lock.withLock {
            if let made { return made }
            let kernel = WinogradKernel(weights: weights, outChannels: outChannels, inChannels: inChannels)
            made = kernel
            return kernel
        }
    }

    /// Whether the transform exists yet.
    public var isMade: Bool { lock.withLock { made != nil } }
}

/// A 3x3 kernel `W [Cout, Cin, 3, 3]` in the Winograd domain:
/// `U[t][o][c] = (G W[o, c] Gᵀ)[t]` for the 36 positions `t = 6a + b`.
public final class WinogradKernel: Sendable {
    /// By default, outputs smaller than this (28x28, VGG16's fourth block) use im2col: at 14x14 the
    /// product is bound by reading the transformed weights, and a third of each 4x4 tile
    /// grid falls outside the image, so the gain would not repay the memory.
    public static let minimumOutputPixels = 28 * 28

    public let outChannels: Int
    public let inChannels: Int
    let u: [Float]
    /// Position `t` of the flipped kernel's transform, read from position `flipPermutation[t]`.
    let flipPermutation: [Int]

    public init(weights: [Float], outChannels: Int, inChannels: Int) {
        precondition(weights.count == outChannels * inChannels * 9)
        self.outChannels = outChannels
        self.inChannels = inChannels
        let pairs = outChannels * inChannels
        var u = [Float](repeating: 0, count: 36 * pairs)
        weights.withUnsafeBufferPointer { w in
            u.withUnsafeMutableBufferPointer { target in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 18 + 36) { scratch in
                    let rows = scratch.baseAddress!, out = rows + 18
                    for pair in 0..<pairs {
                        let g = w.baseAddress! + pair * 9
                        for j in 0..<3 { WinogradTransforms.kernel(g + j, 3, rows + j, 3) }
                        for i in 0..<6 { WinogradTransforms.kernel(rows + i * 3, 1, out + i * 6, 1) }
                        for t in 0..<36 { target[t * pairs + pair] = out[t] }
                    }
                }
            }
        }
        self.u = u
        let p = WinogradTransforms.flipPermutation
        flipPermutation = (0..<36).map { p[$0 / 6] * 6 + p[$0 % 6] }
    }
}
