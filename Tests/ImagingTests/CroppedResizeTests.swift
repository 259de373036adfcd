import Testing
@testable import Imaging

/// `resized(width:height:keeping:_:)` computes only a part of a resize: the same pixels as the
/// full resize then a crop (itself Pillow's `resize(size, BILINEAR)`, see `ResizeTests`).
@Suite struct CroppedResizeTests {
    /// Sizes in both pass orders, each with a centred crop, a corner crop and a one-pixel crop.
    @Test(arguments: [(29, 17), (150, 100), (61, 20), (120, 47), (200, 13), (40, 4), (61, 94), (3, 40)])
    func partEqualsTheFullResizeCropped(size: (Int, Int)) throws {
        let source = try Image(decoding: try Fixture.bytes("resize_source.png"))
        let full = source.resized(width: size.0, height: size.1)
        let (w, h) = (max(1, size.0 * 2 / 3), max(1, size.1 * 2 / 3))
        let (x, y) = Image.centerCropOrigin(width: size.0, height: size.1, cropWidth: w, cropHeight: h)
        for (columns, rows) in [(x..<(x + w), y..<(y + h)), (0..<w, (size.1 - h)..<size.1),
                                ((size.0 - 1)..<size.0, 0..<1), (0..<size.0, 0..<size.1)] {
            let part = source.resized(width: size.0, height: size.1, keeping: columns, rows)
            let expected = full.cropped(x: columns.lowerBound, y: rows.lowerBound, width: columns.count, height: rows.count)
            #expect(part == expected, "\(size) keeping \(columns) x \(rows)")
        }
    }

    /// A kernel for a part of the outputs has the full kernel's entries for those outputs.
    @Test func partialKernelIsASliceOfTheFullOne() {
        let full = ResampleKernel(inputSize: 1000, outputSize: 77)
        let part = ResampleKernel(inputSize: 1000, outputSize: 77, outputs: 30..<41)
        #expect(part.taps == full.taps)
        #expect(part.first == Array(full.first[30..<41]) && part.count == Array(full.count[30..<41]))
        #expect(part.weights == Array(full.weights[(30 * full.taps)..<(41 * full.taps)]))
    }

    /// A 1x1000000 image under a 224 centre crop after a shorter side of 256: the full resize
    /// would be 256x256000000 (770 GB, the process aborted); the part is 224x224.
    @Test func extremeAspectCropCostsTheCrop() {
        let image = Image(width: 1, height: 1_000_000, pixels: [UInt8](repeating: 90, count: 3_000_000))
        let (x, y) = Image.centerCropOrigin(width: 256, height: 256_000_000, cropWidth: 224, cropHeight: 224)
        let part = image.resized(width: 256, height: 256_000_000, keeping: x..<(x + 224), y..<(y + 224))
        #expect(part.width == 224 && part.height == 224 && part.pixels.allSatisfy { $0 == 90 })
    }
}
