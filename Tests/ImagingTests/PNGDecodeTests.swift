import Testing
import Imaging

@Suite struct PNGDecodeTests {
    /// Every colour type, bit depth, tRNS and interlacing, against Pillow's `convert("RGB")`.
    @Test(arguments: [
        "png_rgb8", "png_rgba8", "png_gray8", "png_gray_alpha8",
        "png_gray1", "png_gray2", "png_gray4", "png_gray8_trns", "png_rgb8_trns",
        "png_palette1", "png_palette2", "png_palette4_trns", "png_palette8_trns",
        "png_rgb16", "png_rgba16", "png_gray16", "png_gray_alpha16",
        "png_rgb8_interlaced", "png_rgba16_interlaced", "png_gray4_interlaced", "png_palette4_interlaced",
        "png_rgb8_gamma",
    ])
    func matchesPillow(name: String) throws {
        let decoded = try Image.decode(try Fixture.bytes("\(name).png"))
        let expected = try Fixture.ppm("\(name).ppm")
        #expect(decoded.format == .png)
        #expect(decoded.image.width == expected.width && decoded.image.height == expected.height)
        #expect(decoded.originalWidth == expected.width && decoded.originalHeight == expected.height)
        #expect(mismatch(decoded.image, expected) == nil)
    }

    @Test func minimumSizeDoesNotScalePNG() throws {
        let decoded = try Image.decode(try Fixture.bytes("png_rgb8.png"), minimumSize: (4, 4))
        #expect(decoded.image.width == 37 && decoded.image.height == 23)
    }
}
