import Testing
import Imaging

@Suite struct OverlayTests {
    private let image = Image(width: 2, height: 1, pixels: [200, 100, 0, 1, 1, 1])
    private let heat = FloatPlane(width: 2, height: 1, values: [1, 0])

    @Test func blendsByTheFormula() throws {
        // (1 - 0.25) * (200, 100, 0) + 0.25 * jet(1) = (150 + 32, 75, 0); jet(0) = (0, 0, 128):
        // 0.75 + 0 = 0.75 -> 1, and 0.75 + 32 = 32.75 -> 33.
        let out = try image.overlaid(with: heat, alpha: 0.25)
        #expect(out.pixels == [182, 75, 0, 1, 1, 33])
    }

    @Test func halvesRoundUp() throws {
        // 0.5 * 1 + 0.5 * 0 = 0.5 -> 1; 0.5 * 1 + 0.5 * 128 = 64.5 -> 65.
        let out = try image.overlaid(with: heat)
        #expect(out.pixels == [164, 50, 0, 1, 1, 65])
    }

    @Test func alphaEnds() throws {
        #expect(try image.overlaid(with: heat, alpha: 0) == image)
        #expect(try image.overlaid(with: heat, colormap: .viridis, alpha: 1) == Image(heat, colormap: .viridis))
    }

    @Test func invalidAlpha() {
        #expect(throws: OverlayError.invalidAlpha(-0.1)) { try image.overlaid(with: heat, alpha: -0.1) }
        #expect(throws: OverlayError.invalidAlpha(1.5)) { try image.overlaid(with: heat, alpha: 1.5) }
        do {
            _ = try image.overlaid(with: heat, alpha: .nan)
            Issue.record("NaN alpha accepted")
        } catch {
            guard case .invalidAlpha(let alpha) = error else { Issue.record("wrong error \(error)"); return }
            #expect(alpha.isNaN)
        }
    }

    @Test func sizeMismatch() {
        let small = FloatPlane(width: 1, height: 1, values: [0])
        #expect(throws: OverlayError.sizeMismatch(imageWidth: 2, imageHeight: 1, heatmapWidth: 1, heatmapHeight: 1)) {
            try image.overlaid(with: small)
        }
    }
}
