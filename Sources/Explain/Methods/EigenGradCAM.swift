/// Eigen-Grad-CAM (pytorch-grad-cam's `EigenGradCAM`): Eigen-CAM of gradients times
/// activations, per class: `G[k] ⊙ A` projected on its first principal component
/// (`EigenProjection`, sign fixed so the larger lobe is positive).
struct EigenGradCAM: ExplanationMethod {
    var name: String { "eigengradcam" }
    var summary: String { "Eigen-Grad-CAM: the first principal component of gradients times activations, per class" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true, layerGradients: true) }
    /// Already a principal component: `eigen_smooth` changes nothing (as in pytorch-grad-cam).
    var smoothing: Smoothing { .augmentation }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        evidence.explanations(try evidence.layerMaps { try $0.firstComponents(.elements { g, a in g * a }) })
    }
}

extension Method {
    public static let eigengradcam = Method(EigenGradCAM())
}
