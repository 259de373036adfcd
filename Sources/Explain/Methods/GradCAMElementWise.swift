/// Grad-CAM element-wise (pytorch-grad-cam's `GradCAMElementWise`): the channel sum of the
/// rectified products of gradients and activations, `Σ_c ReLU(G[k, c] ⊙ A[c])` per pixel.
struct GradCAMElementWise: ExplanationMethod {
    var name: String { "gradcam-elementwise" }
    var summary: String { "Grad-CAM element-wise: the channel sum of rectified gradients times activations, per pixel" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true, layerGradients: true) }
    var smoothing: Smoothing { .all }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        evidence.explanations(try evidence.camMaps { _ in .elements { g, a in max(g * a, 0) } })
    }
}

extension Method {
    public static let gradcamElementwise = Method(GradCAMElementWise())
}
