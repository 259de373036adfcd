import CKernels
import Foundation

/// Winograd's minimal filtering (Lavin and Gray, 2016) for 3x3 and 5x5 convolutions with
/// stride 1, no dilation and one group: F(4x4, 3x3), where each 4x4 output tile costs 36
/// products per input channel instead of 144, and F(2x2, 5x5), where each 2x2 tile costs 36
/// instead of 100. Both transform 6x6 input patches, so everything but the transforms is shared.
///
/// With `d` a 6x6 input patch, `g` an r x r kernel and the matrices of
/// `Sources/CKernels/winograd_transforms.h`, an m x m output tile (m = 7 − r) is
/// `Y = Aᵀ [Σ_c (G g_c Gᵀ) ⊙ (Bᵀ d_c B)] A`.
/// Per position `t` of the 6x6 transform domain the channel sum is a matrix product over
/// the `T` tiles of a chunk, done by BLAS: `M_t [Cout x T] = U_t [Cout x Cin] · V_t [Cin x T]`
/// (V and M are stored `[36][C][T]`, so each product reads contiguous rows). The transforms
/// themselves run in C (`winograd.c`), vectorized across the tiles of a tile row.
///
/// The input gradient of the same convolution is the correlation of `dY` with the
/// flipped, channel-transposed kernel; with the points used, flipping only permutes the
/// transform positions, so it reuses `U`: `M'_t = U_{π(t)}ᵀ · V'_t`.
enum Winograd {
    /// Floats of scratch per transform-domain buffer; tile rows are processed in chunks that fit.
    static let chunkBudget = 1 << 20

    /// Runs a forward convolution (`transposed == false`: `x` has `kernel.inChannels`
    /// channels, `y` gets `kernel.outChannels`) or its input gradient (`transposed == true`:
    /// `x` is `dY` with `outChannels` channels, `y` is `dX` with `inChannels`), where
    /// `y[n, o, i, j] = bias[o] + Σ_c Σ_{p,q<r} x[n, c, i + p − padTop, j + q − padLeft] · k[o, c, p, q]`
    /// and `k` is the kernel (or its flipped transpose), taps outside `x` being zero, then
    /// `activation` (when not nil).
    static func convolve(
        _ x: UnsafePointer<Float>, images: Int, height: Int, width: Int,
        padTop: Int, padLeft: Int, outHeight: Int, outWidth: Int,
        kernel: WinogradKernel, transposed: Bool, bias: UnsafePointer<Float>?, activation: FusedActivation?,
        into y: UnsafeMutablePointer<Float>, workspace: Workspace
    ) {
        let inChannels = transposed ? kernel.outChannels : kernel.inChannels
        let outChannels = transposed ? kernel.inChannels : kernel.outChannels
        let tile = kernel.tile
        let tileRows = (outHeight + tile - 1) / tile, tileColumns = (outWidth + tile - 1) / tile
        let totalRows = images * tileRows
        let chunkRows = max(1, min(totalRows, chunkBudget / (36 * max(inChannels, outChannels) * tileColumns)))
        let v = workspace.scratch(.winogradInput, count: 36 * inChannels * chunkRows * tileColumns).baseAddress!
        let m = workspace.scratch(.winogradProducts, count: 36 * outChannels * chunkRows * tileColumns).baseAddress!

        var rowBegin = 0
        while rowBegin < totalRows {
            let rowEnd = min(totalRows, rowBegin + chunkRows)
            let tiles = (rowEnd - rowBegin) * tileColumns
            // V [36][Cin][tiles]: the input patches of the chunk's tiles, transformed.
            workspace.parallelChunks(inChannels) { channels in
                withUnsafeTemporaryAllocation(of: Float.self, capacity: winograd_input_scratch(Int32(tile), Int32(tileColumns))) { scratch in
                    winograd_input_tiles(Int32(tile), x, Int32(inChannels), Int32(height), Int32(width), Int32(padTop), Int32(padLeft),
                                         Int32(tileRows), Int32(tileColumns), Int32(rowBegin), Int32(rowEnd),
                                         Int32(channels.lowerBound), Int32(channels.upperBound), v, scratch.baseAddress!)
                }
            }
            // M_t [Cout x tiles] = U_t · V_t (forward) or U_π(t)ᵀ · V_t (input gradient).
            workspace.parallelFor(36) { t in
                kernel.u.withUnsafeBufferPointer { weights in
                    let u = weights.baseAddress! + (transposed ? kernel.flipPermutation[t] : t) * kernel.outChannels * kernel.inChannels
                    BLAS.gemm(transA: transposed, m: outChannels, n: tiles, k: inChannels,
                              a: u, lda: kernel.inChannels, b: v + t * inChannels * tiles, ldb: tiles,
                              c: m + t * outChannels * tiles, ldc: tiles)
                }
            }
            // Y tile = Aᵀ M A (+ bias, then the activation).
            withKernelActivation(activation) { a in
                workspace.parallelChunks(outChannels) { channels in
                    withUnsafeTemporaryAllocation(of: Float.self, capacity: winograd_output_scratch(Int32(tile), Int32(tileColumns))) { scratch in
                        winograd_output_tiles(Int32(tile), m, Int32(outChannels), Int32(outHeight), Int32(outWidth),
                                              Int32(tileRows), Int32(tileColumns), Int32(rowBegin), Int32(rowEnd),
                                              Int32(channels.lowerBound), Int32(channels.upperBound), bias, a,
                                              y, scratch.baseAddress!)
                    }
                }
            }
            rowBegin = rowEnd
        }
    }
}

/// Constant 3x3 or 5x5 weights whose Winograd transform is made on first use, once, and
/// shared by every executor (F(4x4, 3x3)'s holds four times the weights' memory, so layers too
/// small to gain from it never make it).
public final class LazyWinogradKernel: @unchecked Sendable {
    public let outChannels: Int
    public let inChannels: Int
    /// The kernel's side, 3 or 5.
    public let kernelSize: Int
    /// Smaller outputs use im2col.
    public let minimumOutputPixels: Int
    private let weights: [Float]
    private let lock = NSLock()
    private var made: WinogradKernel?

    init(weights: [Float], outChannels: Int, inChannels: Int, kernelSize: Int, minimumOutputPixels: Int) {
        self.weights = weights
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.kernelSize = kernelSize
        self.minimumOutputPixels = minimumOutputPixels
    }

    var kernel: WinogradKernel {
        lock.withLock {
            if let made { return made }
            let kernel = WinogradKernel(weights: weights, outChannels: outChannels, inChannels: inChannels, kernelSize: kernelSize)
            made = kernel
            return kernel
        }
    }

    /// Whether the transform exists yet.
    public var isMade: Bool { lock.withLock { made != nil } }
}

/// An r x r kernel `W [Cout, Cin, r, r]` (r = 3 or 5) in the Winograd domain:
/// `U[t][o][c] = (G W[o, c] Gᵀ)[t]` for the 36 positions `t = 6a + b`.
public final class WinogradKernel: Sendable {
    /// The kernel sides with a Winograd algorithm: 3 (F(4x4, 3x3)) and 5 (F(2x2, 5x5)).
    public static let kernelSizes: Set<Int> = [3, 5]

    /// By default, outputs smaller than this over the whole batch use im2col. For 3x3 kernels,
    /// 28x28 (VGG16's fourth block, for one image): one 14x14 image's product is bound by
    /// reading the transformed weights, and a third of each 4x4 tile grid falls outside the
    /// image, so the gain would not repay the memory; 4 such images share one read of the
    /// weights and repay it. For 5x5 kernels, 32x32: AlexNet's second layer (27x27, 64 → 192
    /// channels) takes the same time either way for one image (medians of 8 runs: 6.2 ms with
    /// im2col, 6.3 with F(2x2, 5x5)) and a fifth less with F(2x2, 5x5) for two or more (4.7
    /// against 5.8 ms per image).
    public static func minimumOutputPixels(kernelSize: Int) -> Int {
        kernelSize == 3 ? 28 * 28 : 32 * 32
    }
    /// Kernels with fewer input channels (an RGB image's 3) use im2col: the GEMM is then too
    /// small to repay the output transform, which costs the same for any input depth
    /// (VGG16's first layer: 7.6 ms with the transform, 4.8 ms without).
    public static let minimumInputChannels = 16

    public let outChannels: Int
    public let inChannels: Int
    /// The kernel's side r.
    public let kernelSize: Int
    /// The output tile's side m = 7 − r: 4 for 3x3 kernels, 2 for 5x5.
    var tile: Int { 7 - kernelSize }
    let u: [Float]
    /// Position `t` of the flipped kernel's transform, read from position `flipPermutation[t]`.
    let flipPermutation: [Int]

    public init(weights: [Float], outChannels: Int, inChannels: Int, kernelSize: Int) {
        precondition(Self.kernelSizes.contains(kernelSize) && weights.count == outChannels * inChannels * kernelSize * kernelSize)
        self.outChannels = outChannels
        self.inChannels = inChannels
        self.kernelSize = kernelSize
        let pairs = outChannels * inChannels, area = kernelSize * kernelSize
        var u = [Float](repeating: 0, count: 36 * pairs)
        weights.withUnsafeBufferPointer { w in
            u.withUnsafeMutableBufferPointer { target in
                for pair in 0..<pairs {
                    winograd_kernel_tile(w.baseAddress! + pair * area, Int32(kernelSize), target.baseAddress! + pair, pairs)
                }
            }
        }
        self.u = u
        flipPermutation = (0..<36).map { Int(winograd_flipped_position(Int32($0))) }
    }
}
