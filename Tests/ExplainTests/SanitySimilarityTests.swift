import Foundation
import Testing
@testable import Explain

/// The sanity check's similarity measures against scipy, scikit-image and Quantus on the same
/// float32 maps (`tools/sanity/make_similarity_fixture.py` wrote the reference values).
@Suite struct SanitySimilarityTests {
    struct Case: Decodable, CustomTestStringConvertible {
        let `case`: String
        let width: Int
        let height: Int
        let a_abs: [Float], a_signed: [Float], b_abs: [Float], b_signed: [Float]
        let expected: [String: Double]
        let hog_a: [Double]
        var testDescription: String { self.case }

        func map(_ signed: [Float], _ absolute: [Float]) -> ComparedMap {
            ComparedMap(width: width, height: height, signed: signed, absolute: absolute)
        }
    }

    struct Fixture: Decodable { let cases: [Case] }

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/sanity/similarity.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url)).cases
    }()

    /// Rank correlations are exact up to summation order (1e-9); SSIM and HOG accumulate many
    /// more terms in a different order than numpy (1e-7 and 1e-6).
    @Test(arguments: cases) func similaritiesEqualTheReferences(_ c: Case) throws {
        let s = Similarities(c.map(c.a_signed, c.a_abs), c.map(c.b_signed, c.b_abs))
        #expect(abs(try #require(s.spearmanAbs) - c.expected["spearman_abs"]!) < 1e-9)
        #expect(abs(try #require(s.spearman) - c.expected["spearman"]!) < 1e-9)
        #expect(abs(try #require(s.ssim) - c.expected["ssim"]!) < 1e-7)
        #expect(abs(try #require(s.hog) - c.expected["hog"]!) < 1e-6)
    }

    @Test(arguments: cases) func hogFeaturesEqualScikitImage(_ c: Case) throws {
        let features = try #require(HOGFeatures.features(c.map(c.a_signed, c.a_abs).normalized, width: c.width, height: c.height))
        #expect(features.count == c.hog_a.count)
        #expect(zip(features, c.hog_a).map { abs($0 - $1) }.max()! < 1e-6)
    }

    @Test func aMapComparedWithItselfIsIdentical() throws {
        let c = Self.cases[1]
        let s = Similarities(c.map(c.a_signed, c.a_abs), c.map(c.a_signed, c.a_abs))
        for value in [s.spearmanAbs, s.spearman, s.ssim, s.hog] { #expect(abs(try #require(value) - 1) < 1e-9) }
    }

    @Test func undefinedValuesAreNilNotNaN() throws {
        let c = Self.cases[0]
        let flat = [Float](repeating: 0, count: c.width * c.height)
        let s = Similarities(c.map(c.a_signed, c.a_abs), c.map(flat, flat))
        #expect(s.spearmanAbs == nil && s.spearman == nil && s.hog == nil)
        #expect(s.ssim != nil)  // SSIM is defined against a flat map (the other sets the data range)
        #expect(Similarities(c.map(flat, flat), c.map(flat, flat)).ssim == nil)
        let json = String(decoding: try JSONEncoder().encode(s), as: UTF8.self)
        #expect(json.contains("\"spearman\":null"))
        // Too small for a 7x7 window or 3x3 cells of 8 pixels.
        #expect(StructuralSimilarity.index([1, 2, 3, 4], [1, 2, 3, 4], width: 2, height: 2, dataRange: 1) == nil)
        #expect(HOGFeatures.features([Float](repeating: 1, count: 23 * 40), width: 40, height: 23) == nil)
    }

    @Test func ranksAverageTies() {
        #expect(Correlation.ranks([3, 1, 3, 2]) == [3.5, 1, 3.5, 2])
    }

    @Test func theVerdictFollowsTheMeanCorrelationOverTheCascade() {
        func curve(_ steps: [Double?]) -> [Similarities] {
            ([1] + steps).map { Similarities(spearmanAbs: $0, spearman: nil, ssim: nil, hog: nil) }
        }
        #expect(SanityVerdict(curve: curve([0.9, 0.8, 0.1])) == .insensitive)  // mean 0.6
        #expect(SanityVerdict(curve: curve([0.5, 0.5])) == .insensitive)
        #expect(SanityVerdict(curve: curve([0.9, 0.2, 0.1])) == .dependsOnWeights)  // mean 0.4
        #expect(SanityVerdict(curve: curve([0.9, nil])) == .dependsOnWeights)  // a flat map counts as 0
        #expect(SanityVerdict.meanCorrelation(curve([0.9, nil])) == 0.45)
        #expect(SanityVerdict.meanCorrelation(curve([])) == nil)
    }
}
