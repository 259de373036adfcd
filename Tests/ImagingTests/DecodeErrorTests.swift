import Imaging
import TestSupport
import Testing

/// Each kind of bad input gives its own error, and no input traps.
@Suite struct DecodeErrorTests {
    @Test func emptyData() {
        #expect(decodingError([]) == .empty)
    }

    @Test func notAnImage() {
        #expect(decodingError(Array("hello, world".utf8)) == .unsupportedFormat(detected: nil))
        #expect(decodingError([0x00]) == .unsupportedFormat(detected: nil))
    }

    @Test func otherFormatsAreNamed() {
        #expect(decodingError(Array("GIF89a\u{1}\0\u{1}\0".utf8)) == .unsupportedFormat(detected: "GIF"))
        #expect(decodingError(Array("RIFF\0\0\0\0WEBPVP8 ".utf8)) == .unsupportedFormat(detected: "WebP"))
        #expect(decodingError(Array("BM6\0\0\0".utf8)) == .unsupportedFormat(detected: "BMP"))
    }

    @Test func messageNamesTheAcceptedFormats() {
        let message = ImageDecodingError.unsupportedFormat(detected: "GIF").description
        #expect(message == "GIF is not supported; accepted formats: PNG, JPEG")
    }

    @Test func cutInsideTheSignature() {
        #expect(decodingError([0x89, 0x50, 0x4E, 0x47]) == .truncated)
        #expect(decodingError([0xFF, 0xD8]) == .truncated)
    }

    /// Every cut of a PNG before its IEND chunk (the last 12 bytes) is reported as truncated.
    @Test(arguments: ["png_rgb8.png", "png_rgba16_interlaced.png", "png_palette4_trns.png"])
    func truncatedPNG(name: String) throws {
        let bytes = try Fixture.bytes(name)
        #expect(cutsNotReportedTruncated(bytes, at: 8..<(bytes.count - 12)).isEmpty)
        #expect(decodingError(Array(bytes.dropLast(12))) == nil, "IEND is not needed")
    }

    /// Every cut of a JPEG is reported as truncated, including a missing EOI marker.
    @Test(arguments: ["jpeg_420.jpg", "jpeg_progressive.jpg", "jpeg_cmyk.jpg"])
    func truncatedJPEG(name: String) throws {
        let bytes = try Fixture.bytes(name)
        #expect(cutsNotReportedTruncated(bytes, at: 3..<(bytes.count - 1)).isEmpty)
    }

    /// The cuts of `bytes` to each length in `lengths` that decode to anything but
    /// `.truncated`: each length, with the error (`nil`: it decoded).
    private func cutsNotReportedTruncated(_ bytes: [UInt8], at lengths: Range<Int>) -> [(length: Int, error: ImageDecodingError?)] {
        lengths.map { ($0, decodingError(Array(bytes.prefix($0)))) }.filter { $0.error != .truncated }
    }

    @Test func corruptPNG() throws {
        var header = try Fixture.bytes("png_rgb8.png")
        header[17] ^= 0x01  // width, now disagreeing with the IHDR CRC
        guard case .corrupt(let detail) = decodingError(header) else {
            Issue.record("expected corrupt")
            return
        }
        #expect(detail.contains("CRC"))

        var pixels = try Fixture.bytes("png_rgb8.png")
        pixels[pixels.count / 2] ^= 0xFF  // inside IDAT
        #expect({ if case .corrupt = decodingError(pixels) { true } else { false } }())
    }

    @Test func corruptJPEG() throws {
        var bytes = try Fixture.bytes("jpeg_420.jpg")
        let dht = try #require((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC4 })
        for i in 0..<16 { bytes[dht + 5 + i] = 0xFF }  // Huffman code counts of the first table
        guard case .corrupt(let detail) = decodingError(bytes) else {
            Issue.record("expected corrupt")
            return
        }
        #expect(detail.contains("Huffman"))
    }

    @Test func hugeDeclaredPNGFailsFromTheHeader() throws {
        let bytes = try Fixture.bytes("bad_png_100000x100000.png")
        #expect(decodingError(bytes) == .tooLarge(width: 100_000, height: 100_000, limit: Image.defaultPixelLimit))
    }

    @Test func hugeDeclaredJPEGFailsFromTheHeader() throws {
        let bytes = try Fixture.bytes("bad_jpeg_60000x60000.jpg")
        #expect(decodingError(bytes) == .tooLarge(width: 60_000, height: 60_000, limit: Image.defaultPixelLimit))
    }

    @Test func pixelLimitIsTheCallers() throws {
        #expect(decodingError(try Fixture.bytes("png_rgb8.png"), pixelLimit: 37 * 23 - 1)
                == .tooLarge(width: 37, height: 23, limit: 37 * 23 - 1))
        #expect(decodingError(try Fixture.bytes("png_rgb8.png"), pixelLimit: 37 * 23) == nil)
        #expect(decodingError(try Fixture.bytes("jpeg_420.jpg"), pixelLimit: 100)
                == .tooLarge(width: 45, height: 29, limit: 100))
    }

    @Test func zeroSizedImages() throws {
        #expect(decodingError(try Fixture.bytes("bad_png_0x0.png")) == .zeroSize)
        #expect(decodingError(try Fixture.bytes("bad_jpeg_45x0.jpg")) == .zeroSize)
    }

    /// Random byte flips of valid files: any result but a trap is fine.
    @Test(arguments: ["png_rgb8.png", "png_palette4_interlaced.png", "jpeg_420.jpg", "jpeg_progressive.jpg",
                      "jpeg_ycck.jpg", "jpeg_orientation6.jpg"])
    func mutatedFilesNeverTrap(name: String) throws {
        let original = try Fixture.bytes(name)
        var random = SplitMix64(seed: 42)
        for _ in 0..<300 {
            var bytes = original
            for _ in 0..<(1 + Int(random.next() % 4)) {
                bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
            }
            if let image = try? Image.decode(bytes).image {
                #expect(image.pixels.count == image.width * image.height * 3)
            }
        }
    }
}
