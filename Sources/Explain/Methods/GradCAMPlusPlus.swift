/// Grad-CAM++ (Chattopadhay et al., eq. 19): `α[k, c] = Σ_ij ReLU(G) · a_ij` with
/// `a_ij = G² / (2G² + S_c·G³ + 1e-6)` where `G ≠ 0` (0 elsewhere) and `S_c = Σ_ij A[c]`,
/// as pytorch-grad-cam's `grad_cam_plusplus.py`.
struct GradCAMPlusPlus: ExplanationMethod {
    var name: String { "gradcam++" }
    var summary: String { "Grad-CAM++: channels weighted by positive gradients with second- and third-order terms" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true, layerGradients: true) }
    var smoothing: Smoothing { .all }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        evidence.explanations(try evidence.camMaps { layer in
            .channels(try layer.channelWeights { g, _, plane, s in
                var total = 0.0
                for i in 0..<plane where g[i] != 0 {
                    let g1 = Double(g[i]), g2 = g1 * g1
                    total += max(g1, 0) * g2 / (2 * g2 + s * g2 * g1 + 1e-6)
                }
                return total
            })
        })
    }
}

extension Method {
    public static let gradcamPlusPlus = Method(GradCAMPlusPlus())
}
