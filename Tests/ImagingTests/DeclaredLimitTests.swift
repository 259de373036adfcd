import Testing
import Imaging

/// Refusals by what a header declares, before decoding work: sizes whose products overflow,
/// JPEG's own side limit, and the scan count of (progressive) JPEGs.
@Suite struct DeclaredLimitTests {
    /// A 33-byte PNG: signature and an IHDR declaring `width x height`, RGB8 (CRC not checked
    /// before the size is).
    private func pngHeader(width: UInt32, height: UInt32) -> [UInt8] {
        func be32(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> $0) } }
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + be32(13) + Array("IHDR".utf8)
            + be32(width) + be32(height) + [8, 2, 0, 0, 0] + [0, 0, 0, 0]
    }

    /// SOI, a progressive frame header declaring `width x height` with three components, then
    /// `scans` scan headers each followed by one byte of entropy data, then EOI.
    private func jpeg(width: UInt16, height: UInt16, scans: Int) -> [UInt8] {
        func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
        var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xC2] + be16(17) + [8] + be16(height) + be16(width)
            + [3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]
        for _ in 0..<scans {
            bytes += [0xFF, 0xDA] + be16(8) + [1, 1, 0, 0, 0, 0x00] + [0x55]
        }
        return bytes + [0xFF, 0xD9]
    }

    /// Building the message multiplied the declared sides and trapped on 2^32-1 x 2^32-1.
    @Test func sidesWhoseProductOverflowsAreDescribed() {
        let error = decodingError(pngHeader(width: .max, height: .max))
        #expect(error == .tooLarge(width: 4_294_967_295, height: 4_294_967_295, limit: Image.defaultPixelLimit))
        #expect(error?.description
                == "image is 4294967295x4294967295 = more than 9223372036854775807 pixels, more than the limit of 50000000")
        #expect(ImageDecodingError.tooLarge(width: .max, height: 2, limit: 1).description.contains("more than"))
    }

    /// libjpeg refuses sides over 65500 as corrupt data (400); PNG's refusal is `tooLarge` (413).
    @Test func jpegOverThePixelLimitIsTooLargeLikePNG() {
        #expect(decodingError(jpeg(width: 65535, height: 65535, scans: 1))
                == .tooLarge(width: 65535, height: 65535, limit: Image.defaultPixelLimit))
        #expect(decodingError(pngHeader(width: 65535, height: 65535))
                == .tooLarge(width: 65535, height: 65535, limit: Image.defaultPixelLimit))
    }

    @Test func jpegSideOverJPEGsMaximumIsNamed() {
        let error = decodingError(jpeg(width: 65501, height: 16, scans: 1))
        #expect(error == .sideTooLong(width: 65501, height: 16, maxSide: 65500, format: .jpeg))
        #expect(error?.description == "image is 65501x16; JPEG sides are at most 65500 pixels")
    }

    /// A 1 x 50,000,000 PNG of 150 KB cost 5 s of CPU in libpng, one call per row: PNG sides
    /// are held to libpng's own default of 1,000,000, both of them.
    @Test func pngSidesOverAMillionAreRefusedFromTheHeader() {
        #expect(decodingError(pngHeader(width: 1, height: 50_000_000))
                == .sideTooLong(width: 1, height: 50_000_000, maxSide: 1_000_000, format: .png))
        #expect(decodingError(pngHeader(width: 1_000_001, height: 1))
                == .sideTooLong(width: 1_000_001, height: 1, maxSide: 1_000_000, format: .png))
        #expect(decodingError(pngHeader(width: 1, height: 1_000_001))?.description
                == "image is 1x1000001; PNG sides are at most 1000000 pixels")
        // At the limit the header passes (and this one then fails as the stub it is).
        let atLimit = decodingError(pngHeader(width: 1, height: 1_000_000))
        #expect({ if case .sideTooLong = atLimit { false } else { true } }())
    }

    /// 10^9 / (7000 x 7000) = 20 scans: the 21st is refused from the markers, before libjpeg
    /// decodes any of them; 20 pass the count (and then fail as the junk they are).
    @Test func scansBeyondTheBudgetAreRefusedBeforeDecoding() {
        #expect(decodingError(jpeg(width: 7000, height: 7000, scans: 21))
                == .tooManyScans(scans: 21, limit: 20, width: 7000, height: 7000))
        let atLimit = decodingError(jpeg(width: 7000, height: 7000, scans: 20))
        #expect(atLimit != nil)
        #expect({ if case .tooManyScans = atLimit { false } else { true } }())
    }

    @Test func scanCountIsCappedAt500ForSmallImages() {
        #expect(decodingError(jpeg(width: 16, height: 16, scans: 501))
                == .tooManyScans(scans: 501, limit: 500, width: 16, height: 16))
    }

    /// Scans after EOI are not counted: libjpeg stops there too.
    @Test func scansAfterTheEndAreNotCounted() {
        var bytes = jpeg(width: 7000, height: 7000, scans: 1)
        bytes += jpeg(width: 7000, height: 7000, scans: 30).dropFirst(2)
        #expect({ if case .tooManyScans = decodingError(bytes) { false } else { true } }())
    }

    @Test func realProgressiveJPEGsPass() throws {
        #expect(decodingError(try Fixture.bytes("jpeg_progressive.jpg")) == nil)
    }
}
