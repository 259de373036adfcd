import Foundation
import ONNX
import Testing
import Tensor
@testable import Explain

/// Our faithfulness metrics against the references of `tools/metrics/reference.py`
/// (pytorch-grad-cam's ROAD, CamMultImageConfidenceChange, DropInConfidence and
/// IncreaseInConfidence; RISE's CausalMetric; Quantus's PointingGame and
/// noisy_linear_imputation) on the same models, inputs, maps and noise. Each series within
/// 1e-4 of its largest reference value: the fixture models' probabilities are near 1/1000,
/// where an absolute 1e-4 would let a wrong metric pass (measured: at most 2.3e-8 absolute,
/// 1e-5 relative; average drop, in percent, 6e-5).
@Suite struct FaithfulnessAgreementTests {
    static let tolerance: Float = 1e-4

    @Test func theImputationEqualsPytorchGradCAMsAndQuantuss() throws {
        let c = MetricsFixture.shared.imputation
        var noise = GaussianNoise(seed: c.seed)
        let ours = try NoisyLinearImputer.impute(c.image, channels: c.channels, height: c.height, width: c.width,
                                                 kept: c.kept.map { $0 == 1 }, noise: &noise)
        let worst = zip(ours, c.imputed).map { abs($0 - $1) }.max()!
        #expect(worst <= Self.tolerance, "max |difference| = \(worst)")  // values of order 1
        // Kept pixels are untouched.
        for (i, k) in c.kept.enumerated() where k == 1 { #expect(ours[i] == c.image[i]) }
    }

    @Test func theBlurIsRISEs() {
        let expected = MetricsFixture.shared.riseKernel1D
        #expect(zip(RISEBlur.kernel, expected).allSatisfy { abs($0 - $1) < 1e-9 })
    }

    @Test(arguments: MetricsFixture.shared.cases)
    func metricsAgree(_ c: MetricsFixture.Case) throws {
        let context = try c.context()
        let report = try FaithfulnessReport([.road, .confidenceChange, .deletion, .insertion, .averageDrop],
                                            context: context, target: nil, seed: c.seed)
        let road = try #require(report.road)
        #expect(road.percentiles == c.percentiles)
        expectClose(road.leastRelevantFirst, c.road.leastRelevantFirst, "ROAD LeRF")
        expectClose(road.mostRelevantFirst, c.road.mostRelevantFirst, "ROAD MoRF")
        expectClose([road.combined], [c.road.combined], "ROAD combined")
        #expect(road.seed == c.seed)

        let change = try #require(report.confidenceChange)
        expectClose([change.score, change.change], [c.confidenceChange.score, c.confidenceChange.change], "confidence change")
        let drop = try #require(report.averageDrop)
        expectClose([try #require(drop.drop)], [c.averageDrop.drop], "average drop (percent)")
        #expect(drop.increase == c.averageDrop.increase)

        for (ours, theirs, name) in [(report.deletion, c.deletion, "deletion"), (report.insertion, c.insertion, "insertion")] {
            let ours = try #require(ours)
            #expect(ours.steps == theirs.steps && ours.pixelsPerStep == theirs.pixelsPerStep)
            expectClose(ours.curve, theirs.curve, "\(name) curve")
            expectClose([ours.auc], [theirs.auc], "\(name) AUC")
        }
    }

    @Test(arguments: MetricsFixture.shared.cases)
    func thePointingGameIsQuantuss(_ c: MetricsFixture.Case) throws {
        let context = try c.context()
        #expect(c.pointingGame.contains { $0.hit } && c.pointingGame.contains { !$0.hit })
        for game in c.pointingGame {
            let (x0, y0, x1, y1) = (game.box[0], game.box[1], game.box[2], game.box[3])
            let target = (0..<context.pixels).map { p in (x0..<x1).contains(p % context.width) && (y0..<y1).contains(p / context.width) }
            let report = try FaithfulnessReport([.pointingGame], context: context, target: target, seed: 0)
            #expect(report.pointingGame?.hit == game.hit, "box \(game.box)")
        }
        #expect(throws: FaithfulnessError.noTarget) { try FaithfulnessReport([.pointingGame], context: context, target: nil, seed: 0) }
    }

    /// The scorer's batches give each input's logits, as one-at-a-time forward passes do.
    @Test func batchedScoresEqualSinglePasses() throws {
        let c = MetricsFixture.shared.cases[0]
        let (explainer, input) = try c.loaded()
        var other = input
        for i in other.floats.indices { other.floats[i] *= 0.5 }
        let batch = Tensor(shape: [3] + input.shape.dropFirst(), floats: input.floats + other.floats + input.floats)
        explainer.scoreBatchSize = 2
        let batched = try explainer.scores(batch: batch)
        let single = try [input, other, input].flatMap { try explainer.predict($0) }
        #expect(batched.count == single.count)
        #expect(zip(batched, single).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
        #expect(throws: ExplainError.self) { try explainer.scores(batch: Tensor(shape: [1, 3, 8, 8], floats: .init(repeating: 0, count: 192))) }
    }

    /// Within `tolerance` times the series' largest reference value.
    private func expectClose(_ ours: [Float], _ theirs: [Float], _ what: String) {
        #expect(ours.count == theirs.count, "\(what): \(ours.count) values, expected \(theirs.count)")
        let worst = zip(ours, theirs).map { abs($0 - $1) }.max() ?? 0
        let allowed = Self.tolerance * (theirs.map { abs($0) }.max() ?? 0)
        #expect(worst <= allowed, "\(what): max |difference| = \(worst), allowed \(allowed)")
    }
}

/// `Tests/Fixtures/metrics/metrics.json`, made by `tools/metrics/reference.py`.
struct MetricsFixture: Decodable {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/metrics").standardizedFileURL
    static let shared: MetricsFixture = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("metrics.json"))
        return try! JSONDecoder().decode(MetricsFixture.self, from: data)
    }()

    let riseKernel1D: [Double]
    let imputation: Imputation
    let cases: [Case]

    enum CodingKeys: String, CodingKey {
        case riseKernel1D = "rise_kernel_1d", imputation, cases
    }

    struct Imputation: Decodable {
        let channels: Int, height: Int, width: Int
        let seed: UInt64
        let image: [Float], kept: [Int], imputed: [Float]
    }

    struct Case: Decodable, CustomTestStringConvertible {
        let `case`: String
        let model: String, input: String, map: String
        let `class`: Int
        let seed: UInt64
        let percentiles: [Int]
        let road: ROAD
        let confidenceChange: Change
        let averageDrop: Drop
        let deletion: Curve, insertion: Curve
        let pointingGame: [Pointing]

        struct ROAD: Decodable {
            let leastRelevantFirst: [Float], mostRelevantFirst: [Float], combined: Float
            enum CodingKeys: String, CodingKey {
                case leastRelevantFirst = "least_relevant_first", mostRelevantFirst = "most_relevant_first", combined
            }
        }
        struct Change: Decodable { let score: Float, change: Float }
        struct Drop: Decodable { let drop: Float, increase: Bool }
        struct Curve: Decodable {
            let auc: Float, steps: Int, pixelsPerStep: Int, curve: [Float]
            enum CodingKeys: String, CodingKey { case auc, steps, pixelsPerStep = "pixels_per_step", curve }
        }
        struct Pointing: Decodable { let box: [Int], hit: Bool }

        enum CodingKeys: String, CodingKey {
            case `case`, model, input, map, `class`, seed, percentiles, road, deletion, insertion
            case confidenceChange = "confidence-change", averageDrop = "average-drop", pointingGame = "pointing-game"
        }

        var testDescription: String { self.case }

        func loaded() throws -> (Explainer, Tensor) {
            let imported = try ModelImporter.load(path: MetricsFixture.folder.appendingPathComponent(model).path)
            let input = try TensorFile.read(MetricsFixture.folder.appendingPathComponent(input).path)
            return (Explainer(model: try ExplainableModel(graph: imported.graph, inputShape: input.shape)), input)
        }

        /// The fixture's input, class and map (pytorch-grad-cam's, at 224 x 224) with our model as the scorer.
        func context() throws -> MetricContext {
            let (explainer, input) = try loaded()
            let map = try TensorFile.read(MetricsFixture.folder.appendingPathComponent(self.map).path)
            let logits = try explainer.predict(input)
            return MetricContext(
                input: input.floats, channels: input.shape[1], height: input.shape[2], width: input.shape[3], classIndex: self.class,
                map: map.floats, baseline: MetricContext.probability(of: self.class, in: logits[...]),
                score: explainer.scores(batch:), cancellation: nil)
        }
    }
}
