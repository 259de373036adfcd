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

    @Test func invalidValuesAreNamed() {
        var p = Preprocessing.imageNet()
        p.mean = [0, 0]
        #expect(throws: ModelError.invalidPreprocessing("mean and std need 3 values each (got 2 and 3)")) { try p.validate() }
        p = .imageNet(width: 0, height: 224)
        #expect(throws: ModelError.self) { try p.validate() }
    }
}
