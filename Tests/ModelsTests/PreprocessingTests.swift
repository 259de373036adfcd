import Imaging
import Testing
@testable import Models

@Suite struct PreprocessingTests {
    /// A 2x1 image: one red-ish, one blue-ish pixel.
    let image = Image(width: 2, height: 1, pixels: [200, 100, 50, 10, 20, 250])

    @Test func imageNetNormalizesPerChannelInRGBOrder() {
        let p = Preprocessing.imageNet(width: 2, height: 1)
        let x = p.tensor(from: image)
        #expect(x.shape == [1, 3, 1, 2])
        let expected: [Float] = [(200 / 255 - 0.485) / 0.229, (10 / 255 - 0.485) / 0.229,
                                 (100 / 255 - 0.456) / 0.224, (20 / 255 - 0.456) / 0.224,
                                 (50 / 255 - 0.406) / 0.225, (250 / 255 - 0.406) / 0.225]
        for (a, e) in zip(x.floats, expected) { #expect(abs(a - e) < 1e-5) }
    }

    @Test func nhwcKeepsEachPixelsChannelsTogether() {
        var p = Preprocessing(color: .bgr, scale: 1, mean: [0, 0, 0], std: [1, 1, 1], width: 2, height: 1)
        p.layout = .nhwc
        let x = p.tensor(from: image)
        #expect(x.shape == [1, 1, 2, 3])
        #expect(p.inputShape == [1, 1, 2, 3])
        #expect(x.floats == [50, 100, 200, 250, 20, 10])
    }

    @Test func caffeStyleFeedsBGRMinusTheMeanPixel() {
        let p = Preprocessing(color: .bgr, scale: 1, mean: [103.939, 116.779, 123.68], std: [1, 1, 1], width: 2, height: 1)
        let x = p.tensor(from: image)
        let expected: [Float] = [50 - 103.939, 250 - 103.939, 100 - 116.779, 20 - 116.779, 200 - 123.68, 10 - 123.68]
        for (a, e) in zip(x.floats, expected) { #expect(abs(a - e) < 1e-4) }
    }

    @Test func centerCropSeesTheMiddleOfTheImage() {
        let p = Preprocessing(color: .rgb, scale: 1, mean: [0, 0, 0], std: [1, 1, 1], width: 224, height: 224,
                              resize: .centerCrop)
        // 640x480: the shorter side becomes 256 (factor 1.875), the 224 crop covers 420x420 of the original.
        #expect(p.visibleRegion(imageWidth: 640, imageHeight: 480) == Region(x: 110, y: 30, width: 420, height: 420))
        #expect(p.minimumDecodeSize() == (256, 256))
        let x = p.tensor(from: Image(width: 640, height: 480, pixels: [UInt8](repeating: 7, count: 640 * 480 * 3)))
        #expect(x.shape == [1, 3, 224, 224] && x.floats.allSatisfy { $0 == 7 })
    }

    /// The crop is resampled alone; on an ordinary image that is the full resize then the crop.
    @Test func centerCropEqualsResizeThenCrop() {
        let p = Preprocessing(color: .rgb, scale: 1, mean: [0, 0, 0], std: [1, 1, 1], width: 24, height: 24,
                              resize: .centerCrop)
        let pixels = (0..<(71 * 45 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ $0 / 213) }
        let image = Image(width: 71, height: 45, pixels: pixels)
        // Shorter side 27 (round(24 * 8 / 7)): 71x45 becomes 42x27, cropped to 24x24 at (9, 2).
        let expected = image.resized(width: 42, height: 27).centerCropped(width: 24, height: 24)
        let x = p.tensor(from: image)
        for c in 0..<3 {
            for i in 0..<(24 * 24) { #expect(x.floats[c * 576 + i] == Float(expected.pixels[i * 3 + c])) }
        }
    }

    /// Resizing all of a 1x1000000 image to 256x256000000 before cropping aborted the process
    /// (and 1x20000 allocated 2.1 GB).
    @Test func centerCropOfAnExtremeAspectRatio() {
        let p = Preprocessing(color: .rgb, scale: 1, mean: [0, 0, 0], std: [1, 1, 1], width: 224, height: 224,
                              resize: .centerCrop, shorterSide: 256)
        for height in [20_000, 1_000_000] {
            let x = p.tensor(from: Image(width: 1, height: height, pixels: [UInt8](repeating: 3, count: height * 3)))
            #expect(x.shape == [1, 3, 224, 224] && x.floats.allSatisfy { $0 == 3 })
        }
    }

    @Test func shorterSideIsBounded() {
        var p = Preprocessing.imageNet()
        p.resize = .centerCrop
        p.shorterSide = 8193
        #expect(throws: ModelError.invalidPreprocessing("shorter_side 8193 must be between the crop's shorter side 224 and 8192")) {
            try p.validate()
        }
        p.shorterSide = 8192
        #expect(throws: Never.self) { try p.validate() }
    }

    @Test func invalidValuesAreNamed() {
        var p = Preprocessing.imageNet()
        p.mean = [0, 0]
        #expect(throws: ModelError.invalidPreprocessing("mean and std need 3 values each (got 2 and 3)")) { try p.validate() }
        p = .imageNet(width: 0, height: 224)
        #expect(throws: ModelError.self) { try p.validate() }
    }
}
