import Testing
import Imaging

/// PNGs over the decode budget are box-reduced as their rows are read: the pixels of Pillow's
/// `reduce((fx, fy))` (fixtures from tools/make_image_fixtures.py); within it, nothing changes.
@Suite struct ReducedDecodeTests {
    /// resize_source.png is 61x47 (2867 pixels): each budget picks the smallest common factor that fits.
    @Test(arguments: [(2866, 2, 2), (744, 2, 2), (743, 3, 3), (100, 6, 6), (1, 61, 47)])
    func reductionMatchesPillow(budget: Int, fx: Int, fy: Int) throws {
        let decoded = try Image.decode(try Fixture.bytes("resize_source.png"), pixelBudget: budget)
        let expected = try Fixture.ppm("reduce_resize_source_\(fx)x\(fy).ppm")
        #expect(decoded.image == expected)
        #expect(decoded.originalWidth == 61 && decoded.originalHeight == 47)
    }

    /// Colour types and bit depths reduce after their conversion to RGB8 (37x23 images).
    @Test(arguments: [("png_rgb8", 228, 2), ("png_rgb8", 40, 5), ("png_palette4_trns", 104, 3), ("png_rgba16", 240, 2)])
    func colourTypesReduceLikePillow(name: String, budget: Int, factor: Int) throws {
        let decoded = try Image.decode(try Fixture.bytes("\(name).png"), pixelBudget: budget)
        #expect(decoded.image == (try Fixture.ppm("reduce_\(name)_\(factor)x\(factor).ppm")))
    }

    @Test func withinTheBudgetDecodesAsBefore() throws {
        let bytes = try Fixture.bytes("resize_source.png")
        #expect(try Image.decode(bytes, pixelBudget: 61 * 47).image == (try Image.decode(bytes).image))
        #expect(try Image.decode(bytes).image.width == 61)
    }

    /// A side over 65536 is reduced even within the budget: 1x70000 becomes 1x35000.
    @Test func longSideIsReduced() throws {
        let decoded = try Image.decode(try Fixture.bytes("tall_1x70000.png"))
        #expect(decoded.image == (try Fixture.ppm("reduce_tall_1x70000_1x2.ppm")))
        #expect(decoded.originalHeight == 70000)
    }

    @Test func interlacedOverTheBudgetIsRefused() throws {
        let bytes = try Fixture.bytes("png_rgb8_interlaced.png")
        #expect(decodingError(bytes, pixelBudget: 100) == .interlacedTooLarge(width: 37, height: 23, budget: 100))
        #expect(decodingError(bytes, pixelBudget: 100)?.description
                == "interlaced PNG of 37x23 would need reducing (over 100 pixels or a side over 65536);"
                + " send it non-interlaced (only those are reduced while they are read)")
        #expect(decodingError(bytes, pixelBudget: 37 * 23) == nil)
    }

    /// JPEG halves its DCT scale until the output fits the budget (jpeg_scaled.jpg against its draft() fixtures).
    @Test func jpegScaleIsHalvedToFitTheBudget() throws {
        let bytes = try Fixture.bytes("jpeg_scaled.jpg")
        let full = try Image.decode(bytes).image
        let half = try Image.decode(bytes, pixelBudget: full.width * full.height - 1).image
        #expect(half == (try Fixture.ppm("jpeg_scaled_1_2.ppm")))
        let eighth = try Image.decode(bytes, pixelBudget: 1).image
        #expect(eighth == (try Fixture.ppm("jpeg_scaled_1_8.ppm")))
    }
}
