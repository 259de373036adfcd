import Imaging
import TestSupport
import Testing

@Suite struct PNGEncodeTests {
    private func noise(width: Int, height: Int, seed: UInt64) -> Image {
        var random = SplitMix64(seed: seed)
        return Image(width: width, height: height,
                     pixels: (0..<(width * height * 3)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
    }

    @Test(arguments: [0, 1, 6, 9])
    func roundTrips(level: Int) throws {
        for (width, height) in [(1, 1), (7, 3), (64, 48)] {
            let image = noise(width: width, height: height, seed: UInt64(width))
            let png = try image.pngData(compressionLevel: level)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
            #expect(try Image(decoding: png) == image)
        }
    }

    @Test func decodedFixtureRoundTrips() throws {
        let image = try Image(decoding: try Fixture.bytes("jpeg_444.jpg"))
        #expect(try Image(decoding: try image.pngData()) == image)
    }

    @Test func higherLevelsAreSmaller() throws {
        let image = try Image(decoding: try Fixture.bytes("jpeg_scaled.jpg"))
        let stored = try image.pngData(compressionLevel: 0).count
        let fast = try image.pngData(compressionLevel: 1).count
        let best = try image.pngData(compressionLevel: 9).count
        #expect(stored > fast && fast >= best)
    }

    @Test func invalidLevel() {
        let image = Image(width: 1, height: 1, pixels: [1, 2, 3])
        #expect(throws: ImageEncodingError.invalidCompressionLevel(-1)) { try image.pngData(compressionLevel: -1) }
        #expect(throws: ImageEncodingError.invalidCompressionLevel(10)) { try image.pngData(compressionLevel: 10) }
    }

    @Test func zeroSize() {
        #expect(throws: ImageEncodingError.zeroSize) { try Image(width: 0, height: 5, pixels: []).pngData() }
    }

    /// A side over 1,000,000 failed inside libpng's writer ("Image width exceeds user limit",
    /// a 500 after the whole computation); it is refused first, naming the limit.
    @Test func sidesOverTheWritersLimitAreRefusedFirst() {
        let wide = Image(width: 1_000_001, height: 1, pixels: [UInt8](repeating: 9, count: 3_000_003))
        #expect(throws: ImageEncodingError.tooLarge(width: 1_000_001, height: 1, maxSide: 1_000_000)) { try wide.pngData() }
        #expect(ImageEncodingError.tooLarge(width: 1_000_001, height: 1, maxSide: 1_000_000).description
                == "a 1000001x1 image cannot be written as PNG: its sides must be at most 1000000 pixels")
        let tall = Image(width: 1, height: 1_000_000, pixels: [UInt8](repeating: 9, count: 3_000_000))
        #expect(throws: Never.self) { try tall.pngData() }
    }
}
