import Testing
@testable import Pipeline

/// The brush RLE against the bytes of Label Studio's own encoder (`LabelStudioRLEVectors`, made by
/// tools/labelstudio/make_rle_vectors.py with label-studio-sdk, which also checks that its decoder
/// gives each mask back).
@Suite struct LabelStudioRLETests {
    @Test(arguments: LabelStudioRLEVectors.cases.indices)
    func encodesAsLabelStudioDoes(_ index: Int) {
        let vector = LabelStudioRLEVectors.cases[index]
        #expect(LabelStudioRLE.encode(pixelRuns: vector.runs) == vector.rle, "\(vector.name)")
    }

    @Test(arguments: LabelStudioRLEVectors.cases.indices)
    func runsOfAMaskAreItsRuns(_ index: Int) {
        let vector = LabelStudioRLEVectors.cases[index]
        var mask: [Bool] = []
        for (i, n) in vector.runs.enumerated() { mask += Array(repeating: i % 2 == 1, count: n) }
        let runs = LabelStudioRLE.runs(width: vector.width, height: vector.height) { x, y in mask[y * vector.width + x] }
        // The same mask, with runs merged where the vector has none of zero length in between.
        #expect(LabelStudioRLE.encode(pixelRuns: runs) == vector.rle, "\(vector.name)")
    }

    @Test func headerCarriesTheByteCountAndFieldSizes() {
        let rle = LabelStudioRLE.encode(pixelRuns: [6])
        // 24 bytes (6 pixels x RGBA) in 32 bits, then 7 (word size - 1) in 5 bits, then 2, 3, 7, 15 in 4 bits each.
        #expect(Array(rle.prefix(4)) == [0, 0, 0, 24])
        #expect(rle[4] >> 3 == 7)
    }
}
