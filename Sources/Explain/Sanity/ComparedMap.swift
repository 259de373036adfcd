/// What the sanity check compares for one method: one map at the model's input resolution,
/// signed and in absolute value (Adebayo et al. report rank correlations of both).
///
/// - layer methods (Grad-CAM and the other CAMs): the class map upsampled (bilinear) to the
///   input and normalized as pytorch-grad-cam returns it; non-negative, so both are equal;
/// - methods whose result is an input attribution (guided backpropagation, guided Grad-CAM):
///   its channel sum `Σ_c g_c`, and `Σ_c |g_c|`.
public struct ComparedMap: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public let signed: [Float]
    public let absolute: [Float]

    public init(width: Int, height: Int, signed: [Float], absolute: [Float]) {
        self.width = width
        self.height = height
        self.signed = signed
        self.absolute = absolute
    }

    /// The map of `explanation`, at `width x height` (the model's input).
    public init(_ explanation: ClassExplanation, width: Int, height: Int) {
        if let gradient = explanation.attributions.first?.values {
            let plane = gradient.shape[1] * gradient.shape[2]
            var signed = [Float](repeating: 0, count: plane), absolute = signed
            for c in 0..<gradient.shape[0] {
                for i in 0..<plane {
                    let g = gradient.floats[c * plane + i]
                    signed[i] += g
                    absolute[i] += abs(g)
                }
            }
            self.init(width: gradient.shape[2], height: gradient.shape[1], signed: signed, absolute: absolute)
        } else {
            let values = explanation.heatmap.upsampled(width: width, height: height).values
            self.init(width: width, height: height, signed: values, absolute: values)
        }
    }

    /// The absolute map divided by its maximum (Quantus's `normalise_by_max`), in [0, 1]; an
    /// all-zero map stays zero.
    public var normalized: [Float] {
        let peak = absolute.max() ?? 0
        return peak > 0 ? absolute.map { $0 / peak } : absolute
    }
}

/// How similar a randomized model's map is to the original model's (Adebayo et al., 2018).
/// Each is nil where it is undefined (a constant map has no rank correlation).
public struct Similarities: Sendable, Equatable, Codable {
    /// Spearman's ρ of the absolute maps.
    public var spearmanAbs: Double?
    /// Spearman's ρ of the signed maps.
    public var spearman: Double?
    /// SSIM of the normalized absolute maps, with Quantus's data range: the largest value of
    /// both minus the smallest.
    public var ssim: Double?
    /// Pearson's r of the HOG features of the normalized absolute maps.
    public var hog: Double?

    enum CodingKeys: String, CodingKey {
        case spearmanAbs = "spearman_abs", spearman, ssim, hog
    }

    /// Undefined values are written as null, never left out.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(spearmanAbs, forKey: .spearmanAbs)
        try c.encode(spearman, forKey: .spearman)
        try c.encode(ssim, forKey: .ssim)
        try c.encode(hog, forKey: .hog)
    }

    public init(spearmanAbs: Double?, spearman: Double?, ssim: Double?, hog: Double?) {
        self.spearmanAbs = spearmanAbs
        self.spearman = spearman
        self.ssim = ssim
        self.hog = hog
    }

    /// The similarities of `randomized` to `original` (maps of the same size).
    public init(_ original: ComparedMap, _ randomized: ComparedMap) {
        let a = original.normalized, b = randomized.normalized
        self.init(
            spearmanAbs: Correlation.spearman(original.absolute, randomized.absolute),
            spearman: Correlation.spearman(original.signed, randomized.signed),
            ssim: StructuralSimilarity.index(a, b, width: original.width, height: original.height,
                                             dataRange: Double((a + b).max()! - (a + b).min()!)),
            hog: HOGFeatures.similarity(a, b, width: original.width, height: original.height))
    }
}
