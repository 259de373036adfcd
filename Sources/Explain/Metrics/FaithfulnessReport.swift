import Tensor

/// The metrics asked for one class explanation: an explanation's `"metrics"` object, each
/// metric under its name, absent when not asked.
public struct FaithfulnessReport: Codable, Sendable, Equatable {
    public var road: ROADScores?
    public var confidenceChange: ConfidenceChange?
    public var deletion: CausalCurve?
    public var insertion: CausalCurve?
    public var averageDrop: AverageDrop?
    public var pointingGame: PointingGame?

    enum CodingKeys: String, CodingKey {
        case road, confidenceChange = "confidence-change", deletion, insertion, averageDrop = "average-drop"
        case pointingGame = "pointing-game"
    }

    /// Computes `metrics` for one class of one input.
    ///
    /// - Parameters:
    ///   - input: the preprocessed input `[1, C, H, W]` (NCHW, whatever the model's layout).
    ///   - logits: the model's logits for `input` (the explanation's forward pass).
    ///   - heatmap: the class map; upsampled to `H x W` as pytorch-grad-cam returns its maps.
    ///   - target: the object's pixels at `H x W` (row-major), for the pointing game.
    ///   - seed: the seed of ROAD's imputation noise.
    ///   - score: the model on a batch `[B, C, H, W]` (NCHW): logits `[B, classes]`, flattened
    ///     (`Explainer.scores(batch:)`). Each metric sends all its perturbed inputs at once.
    public init(
        _ metrics: [FaithfulnessMetric], input: Tensor, logits: [Float], classIndex: Int, heatmap: Heatmap,
        target: [Bool]?, seed: UInt64, cancellation: Cancellation?, score: @escaping (Tensor) throws -> [Float]
    ) throws {
        precondition(input.rank == 4 && input.shape[0] == 1 && logits.indices.contains(classIndex))
        let (height, width) = (input.shape[2], input.shape[3])
        let context = MetricContext(
            input: input.floats, channels: input.shape[1], height: height, width: width, classIndex: classIndex,
            map: heatmap.upsampled(width: width, height: height).values,
            baseline: MetricContext.probability(of: classIndex, in: logits[...]), score: score, cancellation: cancellation)
        try self.init(metrics, context: context, target: target, seed: seed)
    }

    init(_ metrics: [FaithfulnessMetric], context: MetricContext, target: [Bool]?, seed: UInt64) throws {
        var explanationScore: Float?  // shared by confidence-change and average-drop
        func timesMap() throws -> Float {
            if let explanationScore { return explanationScore }
            let score = try context.probabilities([context.inputTimesMap])[0]
            explanationScore = score
            return score
        }
        for metric in metrics {
            switch metric {
            case .road: road = try ROADScores.evaluate(context, seed: seed)
            case .confidenceChange: confidenceChange = ConfidenceChange(context, explanationScore: try timesMap())
            case .deletion: deletion = try CausalCurve.deletion(context)
            case .insertion: insertion = try CausalCurve.insertion(context)
            case .averageDrop: averageDrop = AverageDrop(context, explanationScore: try timesMap())
            case .pointingGame:
                guard let target else { throw FaithfulnessError.noTarget }
                precondition(target.count == context.pixels)
                pointingGame = PointingGame(context, target: target)
            }
        }
    }
}
