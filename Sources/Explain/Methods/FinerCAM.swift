import Foundation
import Tensor

/// FinerCAM (Zhang et al., 2025), as pytorch-grad-cam computes it (`finer_cam.py` and
/// `FinerWeightedTarget`, with its defaults: Grad-CAM as the base method, `alpha = 1`,
/// comparison categories 1, 2, 3). Each explained class `n` is the library's `target_idx`:
///
/// 1. its comparison classes `J` are the three whose logits are nearest its own: positions
///    1, 2, 3 of the classes sorted by `|s_i − s_n|` (position 0 is `n`; ties by index);
/// 2. the target is `f = Σ_{j∈J} p_j·(s_n − α·s_j) / (Σ_{j∈J} p_j + 1e-9)` with `p = softmax(s)`;
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

    /// How strongly the comparison classes' scores are subtracted (`alpha`).
    static let alpha = 1.0
    /// Which of the classes nearest in score are compared (`comparison_categories`).
    static let comparisonRanks = [1, 2, 3]

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        let seeds = evidence.classes.flatMap { Self.seed(evidence.logits, main: $0) }
        let gradients = try evidence.layerGradients(seeds: seeds)
        let byLayer = Dictionary(zip(evidence.layers.map(\.layer.value), gradients)) { first, _ in first }
        return evidence.explanations(try evidence.camMaps { layer in
            .channels(try GradCAM.weights(LayerEvidence(layer: layer.layer, activations: layer.activations,
                                                        gradients: byLayer[layer.layer.value])))
        })
    }

    /// The comparison classes of `main`: those at `comparisonRanks` by `|s_i − s_main|`.
    static func comparisons(_ logits: [Float], main: Int) -> [Int] {
        let distance = logits.map { abs($0 - logits[main]) }
        let order = logits.indices.filter { $0 != main }.sorted { (distance[$0], $0) < (distance[$1], $1) }
        return comparisonRanks.filter { $0 <= order.count }.map { order[$0 - 1] }
    }

    /// `g = ∂f/∂s [classes]` at `logits` for main class `n`: with `P = Σ_J p_j`,
    /// `N = Σ_J p_j·(s_n − α·s_j)`, `D = P + 1e-9`, `∂p_j/∂s_i = p_j·(δ_ij − p_i)`:
    /// `g_i = −p_i·(N/D − N·P/D²) + [i∈J]·p_i·((s_n − α·s_i − α)/D − N/D²) + [i=n]·P/D`.
    static func seed(_ logits: [Float], main n: Int) -> [Float] {
        let s = logits.map(Double.init)
        let top = s.max() ?? 0
        let e = s.map { exp($0 - top) }
        let z = e.reduce(0, +)
        let p = e.map { $0 / z }
        let compared = comparisons(logits, main: n)
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
