import Testing
@testable import Tensor

/// The Winograd F(4x4, 3x3) and F(2x2, 5x5) paths of `Conv` against its im2col path: the same
/// convolution computed two ways, forward and input gradient (which reuses the forward
/// transform through the flip permutation), over sizes that leave partial tiles, every padding
/// the path accepts, batches, replicas, and more tiles than one chunk. (The im2col path is
/// itself checked against finite differences in `ConvTests`.) Tolerance: 1e-5 of the
/// largest value, F(4x4, 3x3)'s rounding in Float (measured 2-5e-6 in `tools/winograd`), and
/// 2e-5 for F(2x2, 5x5) (per 6x6 patch in float32: median 3.6e-6, largest 1.3e-5 of 200, against
/// 4.2e-6 and 9.0e-6 for F(4x4, 3x3), with 64 input channels; `tools/winograd/derive.py`'s matrices).
@Suite struct WinogradTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var kernel = 3
        let batch, channels, outChannels, height, width: Int
        let pads: [Int]
        var testDescription: String { "\(kernel)x\(kernel) N\(batch) C\(channels)->\(outChannels) \(height)x\(width) pads \(pads)" }
        /// The largest difference from im2col allowed, relative to the largest value.
        var tolerance: Float { kernel == 3 ? 1e-5 : 2e-5 }
    }

    static let cases: [Case] = [
        Case(batch: 1, channels: 3, outChannels: 4, height: 8, width: 8, pads: [1, 1, 1, 1]),
        Case(batch: 2, channels: 5, outChannels: 7, height: 9, width: 13, pads: [1, 1, 1, 1]),
        Case(batch: 1, channels: 4, outChannels: 3, height: 6, width: 6, pads: [0, 0, 0, 0]),
        Case(batch: 1, channels: 2, outChannels: 2, height: 7, width: 5, pads: [2, 0, 1, 2]),
        Case(batch: 1, channels: 16, outChannels: 8, height: 14, width: 14, pads: [1, 1, 1, 1]),
        Case(batch: 1, channels: 1, outChannels: 1, height: 3, width: 3, pads: [1, 1, 1, 1]),
        Case(batch: 2, channels: 3, outChannels: 5, height: 5, width: 31, pads: [0, 2, 2, 1]),
        // F(2x2, 5x5): AlexNet's second layer in small, odd sizes (partial 2x2 tiles), pads 0 to 4.
        Case(kernel: 5, batch: 1, channels: 6, outChannels: 4, height: 13, width: 13, pads: [2, 2, 2, 2]),
        Case(kernel: 5, batch: 2, channels: 5, outChannels: 7, height: 9, width: 12, pads: [2, 2, 2, 2]),
        Case(kernel: 5, batch: 1, channels: 4, outChannels: 3, height: 8, width: 8, pads: [0, 0, 0, 0]),
        Case(kernel: 5, batch: 1, channels: 2, outChannels: 2, height: 7, width: 6, pads: [4, 1, 3, 4]),
        Case(kernel: 5, batch: 1, channels: 16, outChannels: 8, height: 27, width: 27, pads: [2, 2, 2, 2]),
        Case(kernel: 5, batch: 1, channels: 1, outChannels: 1, height: 5, width: 5, pads: [2, 2, 2, 2]),
        Case(kernel: 5, batch: 2, channels: 3, outChannels: 5, height: 5, width: 31, pads: [0, 3, 4, 1]),
    ]

    func convolutions(_ c: Case) throws -> (plain: Conv, fast: Conv, inputs: [Tensor?]) {
        var random = TestRandom(seed: UInt64(c.channels * 31 + c.height))
        let weights = random.tensor([c.outChannels, c.channels, c.kernel, c.kernel])
        let plain = Conv(window: try Window(kernel: [c.kernel, c.kernel], pads: c.pads, op: "Conv"))
        let fast = plain.preparing(weights: weights, minimumInputChannels: 1, minimumOutputPixels: 0)
        #expect(fast.winograd?.kernelSize == c.kernel)
        #expect(plain.preparing(weights: weights, minimumInputChannels: 1).winograd?.minimumOutputPixels
                == WinogradKernel.minimumOutputPixels(kernelSize: c.kernel))
        let inputs: [Tensor?] = [random.tensor([c.batch, c.channels, c.height, c.width]), weights, random.tensor([c.outChannels])]
        return (plain, fast, inputs)
    }

    @Test(arguments: cases)
    func forwardMatchesIm2col(_ c: Case) throws {
        let (plain, fast, inputs) = try convolutions(c)
        let expected = try forward(plain, inputs)[0], actual = try forward(fast, inputs, threads: 2)[0]
        #expect(actual.shape == expected.shape)
        #expect(relativeError(actual, expected) <= c.tolerance)
    }

    @Test(arguments: cases)
    func inputGradientMatchesIm2col(_ c: Case) throws {
        let (plain, fast, inputs) = try convolutions(c)
        let output = try forward(plain, inputs)[0]
        var random = TestRandom(seed: 9)
        // Three replicas through a batch-1 forward; otherwise an ordinary gradient of the batch.
        let gradient = random.tensor(c.batch == 1 ? [3] + output.shape.dropFirst() : output.shape)
        let expected = try backward(plain, inputs, gradient: gradient, wrt: [0])[0]
        let actual = try backward(fast, inputs, gradient: gradient, wrt: [0], threads: 2)[0]
        #expect(actual.shape == expected.shape)
        #expect(relativeError(actual, expected) <= c.tolerance)
    }

    @Test(arguments: [3, 5])
    func manyTilesSpanSeveralChunks(kernel: Int) throws {
        // 36 values per tile and channel exceed the chunk budget: several chunks of tiles.
        let c = Case(kernel: kernel, batch: 2, channels: 64, outChannels: 4, height: 128, width: 124, pads: [kernel / 2, kernel / 2, kernel / 2, kernel / 2])
        let tile = 7 - kernel
        #expect(36 * 64 * c.batch * (128 / tile) * (124 / tile) > Winograd.chunkBudget)
        let (plain, fast, inputs) = try convolutions(c)
        #expect(relativeError(try forward(fast, inputs, threads: 2)[0], try forward(plain, inputs)[0]) <= c.tolerance)
    }

    @Test func smallOutputsKeepIm2colAndNeverMakeTheTransform() throws {
        var random = TestRandom(seed: 4)
        let weights = random.tensor([4, 16, 3, 3])
        let conv = Conv(window: try Window(kernel: [3, 3], pads: [1, 1, 1, 1], op: "Conv")).preparing(weights: weights)
        _ = try forward(conv, [random.tensor([1, 16, 27, 29]), weights])
        #expect(conv.winograd?.isMade == false)
        _ = try forward(conv, [random.tensor([1, 16, 28, 28]), weights])
        #expect(conv.winograd?.isMade == true)
    }

    @Test func aBatchOfSmallOutputsTakesWinogradOnceItsPixelsReachTheThreshold() throws {
        // AlexNet's 13x13 layers: 4 images (676 pixels) stay on im2col, 5 (845 ≥ 784) take
        // Winograd, whose transformed weights then serve every image of a chunk; likewise
        // the input gradient of 5 replicas through a forward pass of one image.
        var random = TestRandom(seed: 6)
        let weights = random.tensor([8, 16, 3, 3])
        let window = try Window(kernel: [3, 3], pads: [1, 1, 1, 1], op: "Conv")
        let plain = Conv(window: window)
        let conv = plain.preparing(weights: weights)
        let four = random.tensor([4, 16, 13, 13])
        #expect(try forward(conv, [four, weights])[0].floats == forward(plain, [four, weights])[0].floats)
        #expect(conv.winograd?.isMade == false)
        _ = try backward(conv, [random.tensor([1, 16, 13, 13]), weights], gradient: random.tensor([4, 8, 13, 13]), wrt: [0])
        #expect(conv.winograd?.isMade == false)
        let five = random.tensor([5, 16, 13, 13])
        #expect(relativeError(try forward(conv, [five, weights])[0], try forward(plain, [five, weights])[0]) <= 1e-5)
        #expect(conv.winograd?.isMade == true)
        let replicas = random.tensor([5, 8, 13, 13]), one = random.tensor([1, 16, 13, 13])
        #expect(relativeError(try backward(conv, [one, weights], gradient: replicas, wrt: [0])[0],
                              try backward(plain, [one, weights], gradient: replicas, wrt: [0])[0]) <= 1e-5)
    }

    @Test func aBatchOf5x5OutputsTakesWinogradFromTwoImagesOfAlexNetsSecondLayer() throws {
        // 27x27 outputs: one image (729 pixels) stays on im2col, two (1458 ≥ 1024) take F(2x2, 5x5).
        var random = TestRandom(seed: 8)
        let weights = random.tensor([8, 16, 5, 5])
        let window = try Window(kernel: [5, 5], pads: [2, 2, 2, 2], op: "Conv")
        let plain = Conv(window: window)
        let conv = plain.preparing(weights: weights)
        let one = random.tensor([1, 16, 27, 27])
        #expect(try forward(conv, [one, weights])[0].floats == forward(plain, [one, weights])[0].floats)
        #expect(conv.winograd?.isMade == false)
        let two = random.tensor([2, 16, 27, 27])
        #expect(relativeError(try forward(conv, [two, weights])[0], try forward(plain, [two, weights])[0]) <= 2e-5)
        #expect(conv.winograd?.isMade == true)
    }

    @Test func fewInputChannelsKeepIm2col() throws {
        var random = TestRandom(seed: 5)
        let window = try Window(kernel: [3, 3], pads: [1, 1, 1, 1], op: "Conv")
        #expect(Conv(window: window).preparing(weights: random.tensor([64, 3, 3, 3])).winograd == nil)
        #expect(Conv(window: window).preparing(weights: random.tensor([64, 16, 3, 3])).winograd != nil)
    }

    @Test func otherKernelsKeepIm2col() throws {
        var random = TestRandom(seed: 3)
        let strided = Conv(window: try Window(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], op: "Conv"))
            .preparing(weights: random.tensor([4, 3, 3, 3]))
        // Prepared, but stride 2 does not qualify: the result must still be right.
        let x = random.tensor([1, 3, 9, 9]), w = random.tensor([4, 3, 3, 3])
        let plain = Conv(window: strided.window)
        #expect(try forward(strided.preparing(weights: w, minimumInputChannels: 1, minimumOutputPixels: 0), [x, w])[0].floats == forward(plain, [x, w])[0].floats)
        #expect(Conv(window: try Window(kernel: [5, 5], op: "Conv")).preparing(weights: random.tensor([2, 2, 5, 5])).winograd == nil)
        #expect(Conv(window: try Window(kernel: [5, 5], op: "Conv")).preparing(weights: random.tensor([2, 16, 5, 5])).winograd?.kernelSize == 5)
        #expect(Conv(window: try Window(kernel: [7, 7], op: "Conv")).preparing(weights: random.tensor([2, 16, 7, 7])).winograd == nil)
        #expect(Conv(window: try Window(kernel: [3, 5], op: "Conv")).preparing(weights: random.tensor([2, 16, 3, 5])).winograd == nil)
        // Prepared for 5x5 weights, but stride 2 does not qualify.
        let x5 = random.tensor([1, 16, 11, 11]), w5 = random.tensor([4, 16, 5, 5])
        let strided5 = Conv(window: try Window(kernel: [5, 5], strides: [2, 2], pads: [2, 2, 2, 2], op: "Conv"))
        #expect(try forward(strided5.preparing(weights: w5, minimumOutputPixels: 0), [x5, w5])[0].floats == forward(strided5, [x5, w5])[0].floats)
        #expect(Conv(window: try Window(kernel: [3, 3], op: "Conv"), group: 2).preparing(weights: random.tensor([2, 1, 3, 3])).winograd == nil)
    }
}

/// `max |a − b| / max |b|`; shapes must match.
func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
    guard a.shape == b.shape else { return .infinity }
    let scale = b.floats.map(abs).max() ?? 0
    return (zip(a.floats, b.floats).map { abs($0 - $1) }.max() ?? 0) / max(scale, .leastNormalMagnitude)
}
