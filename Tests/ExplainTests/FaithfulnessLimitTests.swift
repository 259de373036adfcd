import Testing
import Tensor
@testable import Explain

/// The metrics' edge cases: inputs too large for ROAD's imputation, maps without range,
/// a class the model gives no probability, and the stream of perturbed inputs a metric sends.
@Suite struct FaithfulnessLimitTests {
    /// A two-class "model": logits (mean of the image, 0) per image of the batch.
    static func context(map: [Float], height: Int = 8, width: Int = 6, baseline: Float = 0.5,
                        batches: Recorder? = nil) -> MetricContext {
        let input = (0..<3 * height * width).map { Float($0 % 7) / 7 }
        return MetricContext(
            input: input, channels: 3, height: height, width: width, classIndex: 0, map: map, baseline: baseline,
            score: { batch in
                batches?.sizes.append(batch.shape[0])
                let count = batch.shape[0], size = batch.count / count
                var logits = [Float](repeating: 0, count: 2 * count)
                for b in 0..<count {
                    let sum: Float = batch.floats[b * size ..< (b + 1) * size].reduce(0, +)
                    logits[2 * b] = sum / Float(size)
                }
                return logits
            }, cancellation: nil)
    }

    final class Recorder { var sizes: [Int] = [] }

    @Test func aTooLargeImputationIsRefusedBeforeItsFactorIsAllocated() throws {
        // 600 x 600 with 90% removed needs ~1.4 GiB of factor; the budget is 128 MiB.
        let side = 600
        let kept = (0..<side * side).map { $0 % 10 == 0 }
        var noise = GaussianNoise(seed: 0)
        let image = [Float](repeating: 0, count: side * side)
        #expect(throws: FaithfulnessError.self) {
            _ = try NoisyLinearImputer.impute(image, channels: 1, height: side, width: side, kept: kept, noise: &noise)
        }
    }

    @Test func withNoPixelKeptTheImputationIsTheNoiseAlone() throws {
        var noise = GaussianNoise(seed: 3), same = GaussianNoise(seed: 3)
        let image = [Float](repeating: 5, count: 2 * 4 * 3)
        let out = try NoisyLinearImputer.impute(image, channels: 2, height: 4, width: 3, kept: .init(repeating: false, count: 12), noise: &noise)
        #expect(out == (0..<24).map { _ in Float(0.01 * same.next()) })
    }

    @Test func aConstantMapGivesFiniteMetrics() throws {
        let recorder = Recorder()
        let context = Self.context(map: .init(repeating: 0, count: 48), batches: recorder)
        let report = try FaithfulnessReport([.road, .deletion, .insertion, .confidenceChange, .averageDrop], context: context,
                                            target: nil, seed: 1)
        let values = (report.road!.mostRelevantFirst + report.road!.leastRelevantFirst + [report.road!.combined]
            + report.deletion!.curve + report.insertion!.curve + [report.confidenceChange!.change])
        #expect(values.allSatisfy { $0.isFinite })
        // One batch per metric: ROAD's 18 imputations, 1 + 24 steps per game (48 pixels, 2 a step), one masked input.
        #expect(recorder.sizes == [18, 25, 25, 1])
        #expect(report.deletion!.steps == 24 && report.deletion!.pixelsPerStep == 2)
    }

    @Test func aClassWithoutProbabilityHasNoDrop() {
        let context = Self.context(map: .init(repeating: 1, count: 48), baseline: 0)
        let drop = AverageDrop(context, explanationScore: 0.2)
        #expect(drop.drop == nil && drop.increase)
        let drop60 = AverageDrop(Self.context(map: .init(repeating: 1, count: 48), baseline: 0.5), explanationScore: 0.2).drop
        #expect(drop60.map { abs($0 - 60) < 1e-4 } == true)
    }
}
