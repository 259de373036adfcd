/// CAM (Zhou et al.): the exact class activation map of a global-average-pool + linear head,
/// `Σ_c W[k, c] A[c]` with the head's weights read by `ClassActivationHead`.
struct CAM: ExplanationMethod {
    var name: String { "cam" }
    var summary: String { "CAM: the class activation map of a global-average-pool and linear head" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true, classHead: true) }
    var smoothing: Smoothing { .all }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        guard let weights = evidence.classHeadWeights else {
            throw ExplainError.internalInconsistency("CAM without the class head's weights")
        }
        return evidence.explanations(try evidence.camMaps { _ in .channels(weights) })
    }
}

extension Method {
    public static let cam = Method(CAM())
}
