import Testing
@testable import Imaging

/// `Image.fittedSize`: the longest side brought down to the limit, aspect kept.
@Suite struct FittedSizeTests {
    @Test func largerImagesShrinkToTheLimit() {
        #expect(Image.fittedSize(width: 300, height: 120, maxSide: 64) == (64, 26))
        #expect(Image.fittedSize(width: 90, height: 200, maxSide: 50) == (23, 50))
        #expect(Image.fittedSize(width: 1, height: 50_000_000, maxSide: 4096) == (1, 4096))
    }

    @Test func imagesThatFitAreUnchanged() {
        #expect(Image.fittedSize(width: 300, height: 120, maxSide: 300) == (300, 120))
        #expect(Image.fittedSize(width: 5, height: 7, maxSide: 4096) == (5, 7))
    }
}
