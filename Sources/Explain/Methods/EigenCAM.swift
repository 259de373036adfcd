/// Eigen-CAM (Muhammad and Yeasin): the activations' projection on their first principal
/// component (`EigenProjection`); class-agnostic: every class gets the same map.
struct EigenCAM: ExplanationMethod {
    var name: String { "eigencam" }
    var summary: String { "Eigen-CAM: the activations' first principal component; the same map for every class" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true) }
    /// Already a principal component: `eigen_smooth` changes nothing (as in pytorch-grad-cam).
    var smoothing: Smoothing { .augmentation }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        evidence.explanations(try evidence.layerMaps { EigenProjection.map($0.activations).repeated(evidence.classes.count) })
    }
}

extension Method {
    public static let eigencam = Method(EigenCAM())
}
