import Foundation

/// KPCA-CAM (Karmani et al.), as pytorch-grad-cam computes it (`kpca_cam.py`,
/// `get_2d_projection_kernel` with its defaults `kernel='sigmoid'`, `gamma=None`, i.e.
/// scikit-learn's `KernelPCA(n_components=1)`): the activations' first kernel principal
/// component, class-agnostic like Eigen-CAM.
///
/// With `M [n = h·w, C]` the activations (pixels as rows) centred per channel:
/// 1. the sigmoid kernel `K[i, j] = tanh(γ·⟨M_i, M_j⟩ + 1)`, `γ = 1 / C`;
/// 2. centred in feature space: `K̃ = K − 1ₙK − K1ₙ + 1ₙK1ₙ` (`1ₙ` the `n x n` matrix of `1/n`);
/// 3. the map is `u·√λ` for `K̃`'s largest eigenvalue `λ` and its unit eigenvector `u`
///    (`EigenProjection.topEigenpair`, in Double); zeros when `λ ≤ 0`.
///
/// An eigenvector's sign is arbitrary, so the map is negated when `|min| > |max|`, as Eigen-CAM's
/// (`EigenProjection.signCorrected`).
struct KPCACAM: ExplanationMethod {
    var name: String { "kpcacam" }
    var summary: String { "KPCA-CAM: the activations' first kernel principal component (sigmoid kernel); the same map for every class" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true) }
    /// A principal component already: `eigen_smooth` changes nothing (as in pytorch-grad-cam).
    var smoothing: Smoothing { .augmentation }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        evidence.explanations(try evidence.layerMaps { Self.map($0.activations).repeated(evidence.classes.count) })
    }

    /// The first kernel principal component of `a`, `[1, h, w]`.
    static func map(_ a: LayerActivations) -> RawMaps {
        let n = a.plane, c = a.channels
        let m = EigenProjection.centred(a)
        let gamma = 1 / Double(c)
        var k = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                var dot = 0.0
                for q in 0..<c { dot += m[i * c + q] * m[j * c + q] }
                k[i * n + j] = tanh(gamma * dot + 1)
                k[j * n + i] = k[i * n + j]
            }
        }
        let rowMeans = (0..<n).map { i in k[i * n ..< (i + 1) * n].reduce(0, +) / Double(n) }
        let mean = rowMeans.reduce(0, +) / Double(n)
        for i in 0..<n {
            for j in 0..<n { k[i * n + j] += mean - rowMeans[i] - rowMeans[j] }
        }
        let (u, lambda) = EigenProjection.topEigenpair(k, size: n)
        let scale = lambda > 0 ? lambda.squareRoot() : 0
        return EigenProjection.signCorrected(u.map { $0 * scale }, a)
    }
}

extension Method {
    public static let kpcacam = Method(KPCACAM())
}
