import Explain
import Models
import Testing
@testable import Pipeline

@Suite struct MaskExportTests {
    @Test func theMaskIsTheUpsampledMapAboveTheThresholdInsideTheRegion() {
        let heatmap = Heatmap(normalized: [0, 0.3, 0.2, 1], width: 2, height: 2)
        let region = Region(x: 10, y: 0, width: 20, height: 16)
        let mask = MaskExport.mask(heatmap, region: region, image: ImageSize(width: 40, height: 16), threshold: 0.5)
        #expect(mask.width == 40 && mask.height == 16)
        let up = heatmap.upsampled(width: 20, height: 16).values
        let top = up.max()!
        for y in 0..<16 {
            for x in 0..<40 {
                let pixel = mask.pixels[(y * 40 + x) * 3]
                let inside = (10..<30).contains(x)
                let expected: UInt8 = inside && up[y * 20 + x - 10] >= top * 0.5 ? 255 : 0
                #expect(pixel == expected, "pixel (\(x), \(y))")
            }
        }
        // Not trivially empty or full.
        let white = stride(from: 0, to: mask.pixels.count, by: 3).filter { mask.pixels[$0] == 255 }.count
        #expect(white > 0 && white < 20 * 16)
    }

    @Test func zeroMapsAndRegionsOutsideTheImageGiveBlackMasks() {
        let zero = Heatmap(normalized: [0, 0, 0, 0], width: 2, height: 2)
        let size = ImageSize(width: 8, height: 8)
        #expect(MaskExport.mask(zero, region: Region(x: 0, y: 0, width: 8, height: 8), image: size, threshold: 0.5)
            .pixels.allSatisfy { $0 == 0 })
        let hot = Heatmap(normalized: [1, 1, 1, 1], width: 2, height: 2)
        #expect(MaskExport.mask(hot, region: Region(x: 4, y: 0, width: 8, height: 8), image: size, threshold: 0.5)
            .pixels.allSatisfy { $0 == 0 })
    }
}
