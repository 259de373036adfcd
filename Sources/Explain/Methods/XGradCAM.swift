/// XGrad-CAM (Fu et al.): `α[k, c] = Σ_ij G[k, c] · A[c] / (S_c + 1e-7)`, `S_c = Σ_ij A[c]`.
struct XGradCAM: ExplanationMethod {
    var name: String { "xgradcam" }
    var summary: String { "XGrad-CAM: channels weighted by gradients times activations over the activation sum" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true, layerGradients: true) }
    var smoothing: Smoothing { .all }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        evidence.explanations(try evidence.camMaps { layer in
            .channels(try layer.channelWeights { g, a, plane, s in
                var total = 0.0
                for i in 0..<plane { total += Double(g[i]) * Double(a[i]) }
                return total / (s + 1e-7)
            })
        })
    }
}

extension Method {
    public static let xgradcam = Method(XGradCAM())
}
