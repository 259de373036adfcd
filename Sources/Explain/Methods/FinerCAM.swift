import Foundation
import Tensor

/// FinerCAM (Zhang et al., 2025), as pytorch-grad-cam computes it (`finer_cam.py` and
/// `FinerWeightedTarget`, Grad-CAM as the base method). Each explained class `n` is the
/// library's `target_idx`; its parameters are `comparison_alpha` (the library's `alpha`,
/// default 1) and `comparison_categories` (default 1, 2, 3):
///
/// 1. its comparison classes `J` are those at the `comparison_categories` positions of the
///    classes sorted by `|s_i − s_n|` (position 0 is `n`; ties by index): by default the three
///    whose logits are nearest its own;
/// 2. the target is `f = Σ_{j∈J} p_j·(s_n − α·s_j) / (Σ_{j∈J} p_j + 1e-9)` with `p = softmax(s)`
///    and `α` the `comparison_alpha`;
/// 3. the map is Grad-CAM's of `f`: channel weights are the spatial mean of `∂f/∂A`.
///
/// `∂f/∂A = Σ_i g_i·∂s_i/∂A` with `g = ∂f/∂s` (through the softmax too, as the library's
/// autograd goes), so one backward pass seeded with every class's `g` gives them all
/// (`Evidence.layerGradients(seeds:)`).
struct FinerCAM: ExplanationMethod {
    var name: String { "finercam" }
    var summary: String { "FinerCAM: Grad-CAM of the class's score against its three nearest-scoring classes, weighted by their probabilities" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true, targetGradients: true) }
    /// The library's `FinerCAM.forward` takes `eigen_smooth` but not `aug_smooth`.
    var smoothing: Smoothing { .eigen }

    /// How strongly the comparison classes' scores are subtracted (`alpha`), by default.
    static let defaultAlpha: Float = 1
    /// Which of the classes nearest in score are compared (`comparison_categories`), by default;
    /// on a model with fewer classes, those that exist (as the library clamps them).
    static let defaultRanks = [1, 2, 3]

    /// The default ranks a model of `classes` classes has: `1...3` capped at `classes − 1`.
    static func defaultRanks(classes: Int) -> [Int] { defaultRanks.filter { $0 < classes } }

    func parameters(_ requested: MethodParameters, model: ExplainableModel, layers: [Layer]) -> [String: ParameterValue] {
        Self.parameters(requested, classes: model.classCount)
    }

    /// What the document reports on a model of `classes` classes: the ranks compared, the
    /// requested ones or the default ranks that exist (`"1,2"` on a 3-class model).
    static func parameters(_ requested: MethodParameters, classes: Int) -> [String: ParameterValue] {
        ["comparison_alpha": .number(Double(requested.comparisonAlpha ?? defaultAlpha)),
         "comparison_categories": .string((requested.comparisonCategories ?? defaultRanks(classes: classes)).map(String.init).joined(separator: ","))]
    }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        let alpha = Double(evidence.parameters.comparisonAlpha ?? Self.defaultAlpha)
        let ranks = try Self.ranks(evidence.parameters, classes: evidence.logits.count)
        let seeds = evidence.classes.flatMap { Self.seed(evidence.logits, main: $0, ranks: ranks, alpha: alpha) }
        let gradients = try evidence.layerGradients(seeds: seeds)
        let byLayer = Dictionary(zip(evidence.layers.map(\.layer.value), gradients)) { first, _ in first }
        return evidence.explanations(try evidence.camMaps { layer in
            .channels(try GradCAM.weights(LayerEvidence(layer: layer.layer, activations: layer.activations,
                                                        gradients: byLayer[layer.layer.value])))
        })
    }

    /// The requested ranks, each below the model's `classes` (refused otherwise, naming the
    /// count), or the default ranks that exist.
    static func ranks(_ parameters: MethodParameters, classes: Int) throws -> [Int] {
        guard let ranks = parameters.comparisonCategories else { return defaultRanks(classes: classes) }
        if let beyond = ranks.first(where: { $0 >= classes }) {
            throw ExplainError.invalidParameter("comparison_categories: rank \(beyond) is not below the model's \(classes) classes (ranks 1...\(classes - 1) name the other classes by nearness in score)")
        }
        return ranks
    }

    /// The comparison classes of `main`: those at `ranks` by `|s_i − s_main|`, each below `logits.count`.
    static func comparisons(_ logits: [Float], main: Int, ranks: [Int]) -> [Int] {
        let distance = logits.map { abs($0 - logits[main]) }
        let order = logits.indices.filter { $0 != main }.sorted { (distance[$0], $0) < (distance[$1], $1) }
        return ranks.map { order[$0 - 1] }
    }

    /// `g = ∂f/∂s [classes]` at `logits` for main class `n`: with `P = Σ_J p_j`,
    /// `N = Σ_J p_j·(s_n − α·s_j)`, `D = P + 1e-9`, `∂p_j/∂s_i = p_j·(δ_ij − p_i)`:
    /// `g_i = −p_i·(N/D − N·P/D²) + [i∈J]·p_i·((s_n − α·s_i − α)/D − N/D²) + [i=n]·P/D`.
    static func seed(_ logits: [Float], main n: Int, ranks: [Int], alpha: Double) -> [Float] {
        let s = logits.map(Double.init)
        let top = s.max() ?? 0
        let e = s.map { exp($0 - top) }
        let z = e.reduce(0, +)
        let p = e.map { $0 / z }
        let compared = comparisons(logits, main: n, ranks: ranks)
        let total = compared.reduce(0.0) { $0 + p[$1] }
        let numerator = compared.reduce(0.0) { $0 + p[$1] * (s[n] - alpha * s[$1]) }
        let d = total + 1e-9
        let common = numerator / d - numerator * total / (d * d)
        var g = p.map { -$0 * common }
        for j in compared {
            g[j] += p[j] * ((s[n] - alpha * s[j] - alpha) / d - numerator / (d * d))
        }
        g[n] += total / d
        return g.map(Float.init)
    }
}

extension Method {
    public static let finercam = Method(FinerCAM())
}

extension MethodParameters {
    /// Accepted `comparison_alpha` values: 0 explains the class's own score against nothing
    /// subtracted, 1 (the default) the paper's difference of scores; the bound keeps the
    /// comparison classes' scores from drowning the class's own (`s_n − α·s_j`) and the target
    /// finite.
    public static let comparisonAlphaRange: ClosedRange<Float> = 0...10
    /// Accepted `comparison_categories` ranks (position 0 is the explained class itself); a rank
    /// must also be below the model's class count, which FinerCAM checks.
    public static let comparisonRankRange = 1...100_000
    /// At most this many ranks (each a term of the target; more compares against noise).
    public static let comparisonCategoriesLimit = 64

    /// Checks `comparison_categories`: 1...`comparisonCategoriesLimit` distinct ranks in `comparisonRankRange`.
    static func validate(comparisonCategories ranks: [Int]) throws(ExplainError) {
        let range = comparisonRankRange
        guard (1...comparisonCategoriesLimit).contains(ranks.count) else {
            throw .invalidParameter("comparison_categories must list 1 to \(comparisonCategoriesLimit) ranks, got \(ranks.count)")
        }
        if let bad = ranks.first(where: { !range.contains($0) }) {
            throw .invalidParameter("comparison_categories ranks must be between \(range.lowerBound) and \(range.upperBound) (0 is the class itself), got \(bad)")
        }
        guard Set(ranks).count == ranks.count else {
            throw .invalidParameter("comparison_categories must not repeat a rank, got \(ranks.map(String.init).joined(separator: ","))")
        }
    }
}
