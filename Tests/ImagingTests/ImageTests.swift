import Testing
@testable import Imaging

@Test func imageHoldsThreeBytesPerPixel() {
    let image = Image(width: 2, height: 1, pixels: [1, 2, 3, 4, 5, 6])
    #expect(image.pixels.count == image.width * image.height * 3)
}
