/// Grad-CAM (Selvaraju et al.), as pytorch-grad-cam computes it: channel weights are the
/// spatial mean of the gradients, `α[k, c] = mean_ij G[k, c]`, and the map is `Σ_c α[k, c] A[c]`.
struct GradCAM: ExplanationMethod {
    var name: String { "gradcam" }
    var summary: String { "Grad-CAM: channels weighted by the spatial mean of their gradients" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true, layerGradients: true) }
    var smoothing: Smoothing { .all }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        evidence.explanations(try Self.maps(evidence))
    }

    /// The Grad-CAM class maps (guided Grad-CAM reuses them).
    static func maps(_ evidence: Evidence) throws -> [Heatmap] {
        try evidence.camMaps { layer in .channels(try weights(layer)) }
    }

    /// The channel weights `α [K, C]` of a layer's gradients (FinerCAM reuses them).
    static func weights(_ layer: LayerEvidence) throws -> [Float] {
        try layer.channelWeights { g, _, plane, _ in
            var total = 0.0
            for i in 0..<plane { total += Double(g[i]) }
            return total / Double(plane)
        }
    }
}

extension Method {
    public static let gradcam = Method(GradCAM())
}
