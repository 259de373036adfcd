import Tensor

/// The gradient-based CAM methods as functions of a layer's activations `A [1, C, H, W]`
/// and the gradients `G [K, C, H, W]` of `K` class scores with respect to them, following
/// pytorch-grad-cam (`base_cam.py` and each method's file) so results agree with it.
/// Sums over pixels are accumulated in Double.
enum GradientMethods {
    /// Raw maps `[K, H, W]` for `method` (one of the gradient methods).
    static func maps(_ method: Method, activations: LayerActivations, gradients: Tensor) throws -> RawMaps {
        let a = activations
        guard gradients.count % (a.channels * a.plane) == 0, gradients.shape.dropFirst() == [a.channels, a.height, a.width] else {
            throw ExplainError.internalInconsistency("gradients \(gradients.shape) do not match activations [1, \(a.channels), \(a.height), \(a.width)]")
        }
        switch method {
        case .gradcam, .guidedGradcam, .gradcamPlusPlus, .xgradcam:
            return a.weightedSum(channelWeights(method, a, gradients.floats))
        case .hirescam:
            return pixelWeighted(a, gradients.floats) { g in g }
        case .layercam:
            return pixelWeighted(a, gradients.floats) { g in max(g, 0) }
        default:
            throw ExplainError.internalInconsistency("\(method.rawValue) is not a gradient method")
        }
    }

    /// Channel weights `α[k, c]`:
    /// - Grad-CAM: `α = mean_ij G`.
    /// - Grad-CAM++: `α = Σ_ij ReLU(G) · a_ij`, `a_ij = G² / (2G² + S·G³ + 1e-6)` where `G ≠ 0`
    ///   (0 elsewhere) and `S = Σ_ij A` (Chattopadhay et al., eq. 19).
    /// - XGrad-CAM: `α = Σ_ij G · A / (S + 1e-7)`.
    static func channelWeights(_ method: Method, _ a: LayerActivations, _ g: [Float]) -> [Float] {
        let targets = g.count / (a.channels * a.plane)
        let activationSums: [Double] = (0..<a.channels).map { c in
            a.values[c * a.plane ..< (c + 1) * a.plane].reduce(0.0) { $0 + Double($1) }
        }
        var weights = [Float](repeating: 0, count: targets * a.channels)
        g.withUnsafeBufferPointer { g in
            a.values.withUnsafeBufferPointer { av in
                for k in 0..<targets {
                    for c in 0..<a.channels {
                        let grad = g.baseAddress! + (k * a.channels + c) * a.plane
                        let act = av.baseAddress! + c * a.plane
                        let s = activationSums[c]
                        var total = 0.0
                        switch method {
                        case .gradcamPlusPlus:
                            for i in 0..<a.plane where grad[i] != 0 {
                                let g1 = Double(grad[i]), g2 = g1 * g1
                                total += max(g1, 0) * g2 / (2 * g2 + s * g2 * g1 + 1e-6)
                            }
                        case .xgradcam:
                            for i in 0..<a.plane { total += Double(grad[i]) * Double(act[i]) }
                            total /= s + 1e-7
                        default:
                            for i in 0..<a.plane { total += Double(grad[i]) }
                            total /= Double(a.plane)
                        }
                        weights[k * a.channels + c] = Float(total)
                    }
                }
            }
        }
        return weights
    }

    /// `Σ_c f(G[k, c]) ⊙ A[c]`, per pixel.
    static func pixelWeighted(_ a: LayerActivations, _ g: [Float], _ f: (Float) -> Float) -> RawMaps {
        let targets = g.count / (a.channels * a.plane)
        var maps = [Float](repeating: 0, count: targets * a.plane)
        var sums = [Double](repeating: 0, count: a.plane)
        g.withUnsafeBufferPointer { g in
            a.values.withUnsafeBufferPointer { av in
                for k in 0..<targets {
                    for i in sums.indices { sums[i] = 0 }
                    for c in 0..<a.channels {
                        let grad = g.baseAddress! + (k * a.channels + c) * a.plane
                        let act = av.baseAddress! + c * a.plane
                        for i in 0..<a.plane { sums[i] += Double(f(grad[i])) * Double(act[i]) }
                    }
                    for i in 0..<a.plane { maps[k * a.plane + i] = Float(sums[i]) }
                }
            }
        }
        return RawMaps(count: targets, height: a.height, width: a.width, values: maps)
    }
}
