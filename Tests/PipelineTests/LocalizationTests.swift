import Explain
import Testing
import Models
@testable import Pipeline

@Suite struct LocalizationTests {
    @Test func peakAndBoxAreInImagePixels() throws {
        // A 4x4 map with a 2x2 hot block at the bottom right and a weaker lone cell.
        var values = [Float](repeating: 0, count: 16)
        values[10] = 1; values[11] = 1; values[14] = 1; values[15] = 0.9
        values[0] = 0.6
        let map = Heatmap(raw: values, width: 4, height: 4)
        let located = try #require(Localization.locate(map, in: Region(x: 0, y: 0, width: 400, height: 400)))
        let (peak, box) = (located.peak, located.box)
        #expect(peak.x >= 200 && peak.y >= 200)
        // The largest region above half the maximum is the hot block, not the lone cell.
        #expect(box.x >= 150 && box.y >= 150 && box.x + box.width <= 400 && box.y + box.height <= 400)
        #expect(box.width >= 150 && box.height >= 150)
    }

    @Test func regionOffsetsApply() throws {
        let map = Heatmap(raw: [0, 0, 0, 1], width: 2, height: 2)
        let located = try #require(Localization.locate(map, in: Region(x: 100, y: 50, width: 20, height: 20)))
        let (peak, box) = (located.peak, located.box)
        #expect((110..<120).contains(peak.x) && (60..<70).contains(peak.y))
        #expect(box.x >= 100 && box.y >= 50 && box.x + box.width <= 120 && box.y + box.height <= 70)
    }

    @Test func zeroMapHasNoPeak() {
        let map = Heatmap(raw: [Float](repeating: -3, count: 9), width: 3, height: 3)
        #expect(map.isZero && map.values.allSatisfy { $0 == 0 })
        #expect(Localization.locate(map, in: Region(x: 0, y: 0, width: 30, height: 30)) == nil)
    }

    @Test func largeRegionsAreLocatedAtReducedResolution() throws {
        let map = Heatmap(raw: [0, 1, 0, 0], width: 2, height: 2)
        let peak = try #require(Localization.locate(map, in: Region(x: 0, y: 0, width: 8000, height: 6000))).peak
        #expect(peak.x >= 4000 && peak.y < 3000)
    }
}
