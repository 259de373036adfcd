import Testing
@testable import Imaging

@Suite struct ResizeTests {
    /// Down, up, mixed and one-axis resizes, in both of Pillow 13's pass orders, against
    /// `resize(size, BILINEAR)`: the same fixed-point arithmetic, so exactly equal.
    @Test(arguments: [(29, 17), (8, 5), (3, 40), (1, 1), (150, 100), (61, 20), (120, 47), (200, 13), (40, 4), (120, 30)])
    func rgbMatchesPillow(size: (Int, Int)) throws {
        let source = try Image(decoding: try Fixture.bytes("resize_source.png"))
        let expected = try Fixture.ppm("resize_\(size.0)x\(size.1).ppm")
        let resized = source.resized(width: size.0, height: size.1)
        #expect(mismatch(resized, expected) == nil)
    }

    @Test func sameSizeIsIdentity() throws {
        let source = try Image(decoding: try Fixture.bytes("resize_source.png"))
        #expect(source.resized(width: source.width, height: source.height) == source)
    }

    @Test func constantStaysConstant() {
        let image = Image(width: 13, height: 7, pixels: [UInt8](repeating: 200, count: 13 * 7 * 3))
        for (width, height) in [(1, 1), (5, 3), (40, 21), (13, 2), (2, 7)] {
            #expect(image.resized(width: width, height: height).pixels.allSatisfy { $0 == 200 })
        }
    }

    /// Heatmap upsampling against cv2.resize INTER_LINEAR.
    @Test(arguments: [(56, 56), (33, 47), (14, 100)])
    func planeUpsamplingMatchesOpenCV(size: (Int, Int)) throws {
        #expect(try resizeError(size, reference: "cv2") <= 1e-5)
    }

    /// Antialiased downsampling against Pillow's mode "F" `resize(size, BILINEAR)`.
    @Test(arguments: [(5, 3), (7, 14), (1, 1)])
    func planeDownsamplingMatchesPillow(size: (Int, Int)) throws {
        #expect(try resizeError(size, reference: "pillow") <= 1e-5)
    }

    /// The largest difference between the fixture plane resized to `size` and the
    /// `reference` library's result (`plane_<reference>_<w>x<h>.npy`); infinity when the
    /// sizes differ.
    private func resizeError(_ size: (Int, Int), reference: String) throws -> Float {
        let plane = try Fixture.npy("plane_source.npy")
        let expected = try Fixture.npy("plane_\(reference)_\(size.0)x\(size.1).npy")
        let resized = plane.resized(width: size.0, height: size.1)
        guard resized.width == expected.width && resized.height == expected.height else { return .infinity }
        return zip(resized.values, expected.values).map { abs($0 - $1) }.max() ?? 0
    }

    @Test(arguments: [(10, 3), (3, 10), (7, 7), (1000, 7), (1, 9)])
    func kernelWeightsSumToOne(sizes: (Int, Int)) {
        let kernel = ResampleKernel(inputSize: sizes.0, outputSize: sizes.1)
        for i in 0..<sizes.1 {
            let sum = (0..<kernel.count[i]).reduce(0.0) { $0 + kernel.weights[i * kernel.taps + $1] }
            #expect(abs(sum - 1) < 1e-12)
            #expect(kernel.first[i] >= 0 && kernel.first[i] + kernel.count[i] <= sizes.0)
            #expect(kernel.count[i] <= kernel.taps)
        }
    }
}
