import Foundation

/// KPCA-CAM (Karmani et al.), as pytorch-grad-cam computes it (`kpca_cam.py`,
/// `get_2d_projection_kernel`: scikit-learn's `KernelPCA(n_components=1, kernel=, gamma=)`):
/// the activations' first kernel principal component, class-agnostic like Eigen-CAM. Its
/// parameters are the library's: `kernel` (default sigmoid) and `gamma` (default `1 / C`).
///
/// With `M [n = h·w, C]` the activations (pixels as rows) centred per channel:
/// 1. the kernel matrix `K[i, j] = k(M_i, M_j)` (`Kernel`, scikit-learn's definitions);
/// 2. centred in feature space: `K̃ = K − 1ₙK − K1ₙ + 1ₙK1ₙ` (`1ₙ` the `n x n` matrix of `1/n`);
/// 3. the map is `u·√λ` for `K̃`'s largest eigenvalue `λ` and its unit eigenvector `u`
///    (`EigenProjection.topEigenpair`, in Double); zeros when `λ ≤ 0`.
///
/// An eigenvector's sign is arbitrary, so the map is negated when `|min| > |max|`, as Eigen-CAM's
/// (`EigenProjection.signCorrected`).
struct KPCACAM: ExplanationMethod {
    var name: String { "kpcacam" }
    var summary: String { "KPCA-CAM: the activations' first kernel principal component (sigmoid kernel unless kernel says); the same map for every class" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true) }
    /// A principal component already: `eigen_smooth` changes nothing (as in pytorch-grad-cam).
    var smoothing: Smoothing { .augmentation }

    static let defaultKernel = MethodParameters.Kernel.sigmoid

    /// The kernel, and `gamma` where the kernel reads it (the default `1/C` depends on the
    /// layer, so it is reported only when given).
    func parameters(_ requested: MethodParameters) -> [String: ParameterValue] {
        let kernel = requested.kernel ?? Self.defaultKernel
        var used: [String: ParameterValue] = ["kernel": .string(kernel.rawValue)]
        if kernel.readsGamma, let gamma = requested.gamma { used["gamma"] = .number(Double(gamma)) }
        return used
    }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        let kernel = evidence.parameters.kernel ?? Self.defaultKernel
        let gamma = evidence.parameters.gamma.map(Double.init)
        return evidence.explanations(try evidence.layerMaps {
            Self.map($0.activations, kernel: kernel, gamma: gamma).repeated(evidence.classes.count)
        })
    }

    /// The first kernel principal component of `a`, `[1, h, w]`; `gamma` nil is `1 / C`.
    static func map(_ a: LayerActivations, kernel: MethodParameters.Kernel, gamma: Double?) -> RawMaps {
        let n = a.plane, c = a.channels
        let m = EigenProjection.centred(a)
        let gamma = gamma ?? 1 / Double(c)
        func dot(_ i: Int, _ j: Int) -> Double {
            var dot = 0.0
            for q in 0..<c { dot += m[i * c + q] * m[j * c + q] }
            return dot
        }
        let squares = (0..<n).map { dot($0, $0) }
        var k = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                k[i * n + j] = kernel.value(i == j ? squares[i] : dot(i, j), squares[i], squares[j], gamma: gamma)
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

extension MethodParameters {
    /// The kernels of scikit-learn's `KernelPCA` that KPCA-CAM takes (`kernel`), as
    /// `sklearn.metrics.pairwise` defines them, with its defaults `degree = 3`, `coef0 = 1`
    /// (pytorch-grad-cam passes neither) and `γ` the `gamma` parameter (default `1 / C`).
    /// `precomputed` and callables are not offered: they need a kernel from the user.
    public enum Kernel: String, Sendable, CaseIterable {
        /// `tanh(γ·⟨x, y⟩ + 1)` (the library's default).
        case sigmoid
        /// `exp(−γ·‖x − y‖²)`.
        case rbf
        /// `⟨x, y⟩`.
        case linear
        /// `(γ·⟨x, y⟩ + 1)³`.
        case poly
        /// `⟨x, y⟩ / (‖x‖·‖y‖)`, 0 for a zero row (scikit-learn's `normalize` leaves it 0).
        case cosine

        public static var allNames: [String] { allCases.map(\.rawValue) }

        /// Whether `gamma` enters the kernel (scikit-learn ignores it for `linear` and `cosine`).
        public var readsGamma: Bool { self == .sigmoid || self == .rbf || self == .poly }

        /// `k(x, y)` from `⟨x, y⟩`, `‖x‖²` and `‖y‖²`.
        func value(_ dot: Double, _ xx: Double, _ yy: Double, gamma: Double) -> Double {
            switch self {
            case .sigmoid: tanh(gamma * dot + 1)
            case .rbf: exp(-gamma * max(xx + yy - 2 * dot, 0))
            case .linear: dot
            case .poly: pow(gamma * dot + 1, 3)
            case .cosine: xx > 0 && yy > 0 ? dot / (xx * yy).squareRoot() : 0
            }
        }
    }

    /// Accepted `gamma` values: finite and not negative (a negative γ makes the rbf kernel
    /// `exp(γ·‖x − y‖²)` grow without bound); 1e6 is far past `1 / C` (the default), where
    /// every kernel is already saturated (rbf the identity, sigmoid ±1).
    public static let gammaRange: ClosedRange<Float> = 0...1_000_000
}

extension Method {
    public static let kpcacam = Method(KPCACAM())
}
