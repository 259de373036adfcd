import Testing
import Imaging

@Suite struct ColormapTests {
    @Test func names() {
        #expect(Colormap.allNames == ["jet", "turbo", "viridis", "inferno", "gray"])
        for name in Colormap.allNames { #expect(Colormap(name: name)?.rawValue == name) }
        #expect(Colormap(name: "Viridis") == .viridis)
        #expect(Colormap(name: "hot") == nil)
        #expect(Colormap(name: "") == nil)
        #expect(Colormap.default == .jet)
    }

    @Test func tablesHave256Entries() {
        for colormap in Colormap.allCases { #expect(colormap.table.count == 768) }
    }

    /// `np.uint8(255 * v)` after clamping: truncation, as pytorch-grad-cam indexes cv2's tables.
    @Test func indexTruncates() {
        #expect(Colormap.index(for: 0) == 0)
        #expect(Colormap.index(for: 1) == 255)
        #expect(Colormap.index(for: 0.5) == 127)
        #expect(Colormap.index(for: 0.999) == 254)
        #expect(Colormap.index(for: -3) == 0)
        #expect(Colormap.index(for: 7) == 255)
        #expect(Colormap.index(for: .nan) == 0)
        #expect(Colormap.index(for: .infinity) == 255)
        #expect(Colormap.index(for: -.infinity) == 0)
    }

    /// Entries as OpenCV's applyColorMap gives them (BGR reversed).
    @Test func knownColors() {
        #expect(Colormap.jet.color(for: 0) == (0, 0, 128))
        #expect(Colormap.jet.color(for: 0.5) == (126, 255, 130))
        #expect(Colormap.jet.color(for: 1) == (128, 0, 0))
        #expect(Colormap.turbo.color(for: 0) == (48, 18, 59))
        #expect(Colormap.turbo.color(for: 1) == (122, 4, 3))
        #expect(Colormap.viridis.color(for: 0) == (68, 1, 84))
        #expect(Colormap.viridis.color(for: 1) == (253, 231, 37))
        #expect(Colormap.inferno.color(for: 0) == (0, 0, 4))
        #expect(Colormap.inferno.color(for: 1) == (252, 255, 164))
        #expect(Colormap.gray.color(for: 0.5) == (127, 127, 127))
    }

    @Test func planeToImage() {
        let plane = FloatPlane(width: 3, height: 1, values: [0, 0.5, 1])
        #expect(Image(plane, colormap: .gray).pixels == [0, 0, 0, 127, 127, 127, 255, 255, 255])
        #expect(Image(plane).pixels == [0, 0, 128, 126, 255, 130, 128, 0, 0])
    }
}
