import Testing
import Imaging

@Suite struct CropTests {
    /// A 12x10 image whose pixel (x, y) is (x, y, x + y).
    private let image = Image(width: 12, height: 10, pixels: (0..<10).flatMap { y in
        (0..<12).flatMap { x in [UInt8(x), UInt8(y), UInt8(x + y)] }
    })

    @Test func cropsTheRegion() {
        let region = image.cropped(x: 3, y: 2, width: 4, height: 5)
        #expect(region.width == 4 && region.height == 5)
        #expect(Array(region.pixels.prefix(3)) == [3, 2, 5])
        #expect(Array(region.pixels.suffix(3)) == [6, 6, 12])
        #expect(image.cropped(x: 0, y: 0, width: 12, height: 10) == image)
    }

    /// Offsets round half to even as torchvision's CenterCrop: (12 - 5) / 2 = 3.5 -> 4,
    /// (10 - 5) / 2 = 2.5 -> 2.
    @Test func centerCropRoundsLikeTorchvision() {
        let region = image.centerCropped(width: 5, height: 5)
        #expect(Array(region.pixels.prefix(3)) == [4, 2, 6])
        #expect(image.centerCropped(width: 6, height: 4).pixels.prefix(3) == [3, 3, 6])
    }
}
