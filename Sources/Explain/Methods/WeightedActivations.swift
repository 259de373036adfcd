/// A CAM's per-class weighted activations `W [K, C, h, w]` at one layer, before the channel
/// reduction of pytorch-grad-cam's `get_cam_image`: the map is `Σ_c W[k, c]`, or with
/// `eigen_smooth` the projection of `W[k]` on its first principal component
/// (`EigenProjection`, pixels as rows, channels as columns).
enum WeightedActivations {
    /// `W[k, c] = α[k, c] · A[c]` for channel weights `α [K, C]` (Grad-CAM, Score-CAM, ...).
    case channels([Float])
    /// `W[k, c, i] = f(G[k, c, i], A[c, i])` per element (HiResCAM, LayerCAM, ...).
    case elements((_ gradient: Float, _ activation: Float) -> Float)
}

extension LayerEvidence {
    /// `Σ_c W[k, c]` per pixel: `[K, h, w]` (elementwise products summed in Double).
    func channelSums(_ weighted: WeightedActivations) throws -> RawMaps {
        let a = activations
        switch weighted {
        case .channels(let weights):
            return a.weightedSum(weights)
        case .elements(let f):
            let g = try requireGradients()
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
                            for i in 0..<a.plane { sums[i] += Double(f(grad[i], act[i])) }
                        }
                        for i in 0..<a.plane { maps[k * a.plane + i] = Float(sums[i]) }
                    }
                }
            }
            return RawMaps(count: targets, height: a.height, width: a.width, values: maps)
        }
    }

    /// Each class's `W[k]` projected on its first principal component: `[K, h, w]`.
    func firstComponents(_ weighted: WeightedActivations) throws -> RawMaps {
        let a = activations
        let size = a.channels * a.plane
        let targets: Int
        let element: (_ k: Int, _ index: Int) -> Float
        switch weighted {
        case .channels(let weights):
            targets = weights.count / a.channels
            element = { k, index in weights[k * a.channels + index / a.plane] * a.values[index] }
        case .elements(let f):
            let g = try requireGradients()
            targets = g.count / size
            element = { k, index in f(g[k * size + index], a.values[index]) }
        }
        var values: [Float] = []
        values.reserveCapacity(targets * a.plane)
        for k in 0..<targets {
            let w = LayerActivations(channels: a.channels, height: a.height, width: a.width,
                                     values: (0..<size).map { element(k, $0) })
            values += EigenProjection.map(w).values
        }
        return RawMaps(count: targets, height: a.height, width: a.width, values: values)
    }
}

extension Evidence {
    /// The class maps of a CAM from each layer's weighted activations: summed over channels,
    /// or projected on their first principal component when the request asks `eigen_smooth`
    /// (the method then declares `Smoothing.eigen`).
    func camMaps(_ weighted: (LayerEvidence) throws -> WeightedActivations) throws -> [Heatmap] {
        try layerMaps { layer in
            let w = try weighted(layer)
            return parameters.eigenSmooth ? try layer.firstComponents(w) : try layer.channelSums(w)
        }
    }
}
