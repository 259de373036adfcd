import Testing
import Imaging

@Suite struct JPEGDecodeTests {
    /// Baseline (4:2:0, 4:2:2, 4:4:4, restart markers), progressive, gray, Adobe CMYK and YCCK,
    /// against Pillow's `convert("RGB")`.
    @Test(arguments: [
        "jpeg_420", "jpeg_422", "jpeg_444", "jpeg_restart", "jpeg_progressive",
        "jpeg_gray", "jpeg_gray_progressive", "jpeg_cmyk", "jpeg_ycck",
    ])
    func matchesPillow(name: String) throws {
        let decoded = try Image.decode(try Fixture.bytes("\(name).jpg"))
        let expected = try Fixture.ppm("\(name).ppm")
        #expect(decoded.format == .jpeg)
        #expect(mismatch(decoded.image, expected) == nil)
    }

    /// EXIF orientations 1...8 (and a big-endian EXIF block), against `ImageOps.exif_transpose`.
    @Test(arguments: (1...8).map { "jpeg_orientation\($0)" } + ["jpeg_orientation6_big_endian"])
    func appliesExifOrientation(name: String) throws {
        let decoded = try Image.decode(try Fixture.bytes("\(name).jpg"))
        let expected = try Fixture.ppm("\(name).ppm")
        #expect(decoded.image.width == expected.width && decoded.image.height == expected.height)
        #expect(decoded.originalWidth == expected.width && decoded.originalHeight == expected.height)
        #expect(mismatch(decoded.image, expected) == nil)
    }

    /// A 160x120 photo asked for at least 160/s x 120/s decodes at 1/s, as Pillow's `draft()`.
    @Test(arguments: [1, 2, 4, 8])
    func dctScalingMatchesPillowDraft(divisor: Int) throws {
        let decoded = try Image.decode(try Fixture.bytes("jpeg_scaled.jpg"),
                                       minimumSize: (160 / divisor, 120 / divisor))
        let expected = try Fixture.ppm("jpeg_scaled_1_\(divisor).ppm")
        #expect(decoded.originalWidth == 160 && decoded.originalHeight == 120)
        #expect(decoded.image.width == 160 / divisor && decoded.image.height == 120 / divisor)
        #expect(mismatch(decoded.image, expected) == nil)
    }

    /// The smallest of 1/8, 1/4, 1/2 with both sides large enough, else full size: 80x60
    /// covers at least 80x60 of 160x120, but at least 100x70 needs the full 160x120 (a
    /// 5/8 decode would be smaller, and no longer the pixels a full decode gives).
    @Test(arguments: [
        (100, 70, 160, 120), (81, 1, 160, 120), (80, 60, 80, 60), (1, 61, 160, 120), (1, 60, 80, 60),
        (20, 15, 20, 15), (21, 15, 40, 30), (41, 1, 80, 60),
        (1, 1, 20, 15), (0, 0, 20, 15), (-5, 3, 20, 15), (161, 1, 160, 120), (5000, 5000, 160, 120),
    ])
    func dctScalePicksSmallestSufficientSize(request: (Int, Int, Int, Int)) throws {
        let (minimumWidth, minimumHeight, width, height) = request
        let decoded = try Image.decode(try Fixture.bytes("jpeg_scaled.jpg"),
                                       minimumSize: (minimumWidth, minimumHeight))
        #expect(decoded.image.width == width && decoded.image.height == height)
    }

    @Test func noMinimumSizeDecodesAtFullSize() throws {
        let decoded = try Image.decode(try Fixture.bytes("jpeg_scaled.jpg"))
        #expect(decoded.image.width == 160 && decoded.image.height == 120)
    }

    /// Less than twice the size needed decodes exactly as a full decode does.
    @Test func lessThanTwiceTheMinimumIsTheFullDecode() throws {
        let bytes = try Fixture.bytes("jpeg_scaled.jpg")
        let decoded = try Image.decode(bytes, minimumSize: (100, 70)).image
        #expect(decoded == (try Image(decoding: bytes)))
    }

    /// The minimum applies to the oriented image: 160x120 stored, 120x160 displayed.
    @Test func dctScalingAppliesAfterOrientation() throws {
        let decoded = try Image.decode(try Fixture.bytes("jpeg_scaled_orientation6.jpg"),
                                       minimumSize: (60, 80))
        #expect(decoded.originalWidth == 120 && decoded.originalHeight == 160)
        #expect(decoded.image.width == 60 && decoded.image.height == 80)
        let larger = try Image.decode(try Fixture.bytes("jpeg_scaled_orientation6.jpg"), minimumSize: (61, 1))
        #expect(larger.image.width == 120 && larger.image.height == 160)
    }
}
