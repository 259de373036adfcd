import Tensor

extension Explainer {
    /// pytorch-grad-cam's `aug_smooth` (`BaseCAM.forward_augmentation_smoothing` with its
    /// default ttach transforms, `HorizontalFlip() × Multiply([0.9, 1, 1.1])`): each method that
    /// honours it (`Smoothing.augmentation`) is explained again for the five other inputs
    /// `x' = s · flip?(x)`, `s ∈ {0.9, 1, 1.1}` (the preprocessed input scaled), each class map
    /// of a flipped input is flipped back, and the map is the mean of the six normalized maps,
    /// normalized again (the library returns the plain mean; the shape is the same).
    ///
    /// The maps are averaged at the layer's resolution: flipping there and then resizing
    /// (bilinear, half-pixel centres) equals resizing and then flipping, as the library does;
    /// the library also renormalizes each map after resizing it, which moves the mean by up to
    /// 1.3e-2 at a 13 x 13 layer (`PytorchGradCAMMethodsAgreementTests`).
    /// The classes are those of `plain` (resolved on the original input) for every augmented
    /// input; the library re-picks each augmented input's top class when none is given.
    /// Timings add up all passes; the other methods' explanations are `plain`'s.
    func augmentationSmoothed(_ plain: [Explanation], input: Tensor, methods: [Method], layers: [Layer],
                              parameters: MethodParameters) throws -> [Explanation] {
        let smoothed = methods.indices.filter { methods[$0].implementation.smoothing.contains(.augmentation) }
        guard !smoothed.isEmpty, let classes = plain.first?.classes.map(\.classIndex) else { return plain }
        let original = model.inputLayout.nchw(input)
        var sums = smoothed.map { plain[$0].classes.map(\.heatmap.values) }
        var timings = smoothed.map { plain[$0].timings }
        for (flip, scale) in Self.augmentations where flip || scale != 1 {
            let augmented = model.inputLayout.fromNCHW(Self.augment(original, flip: flip, scale: scale))
            let explained = try explainPasses(augmented, methods: smoothed.map { methods[$0] }, classes: classes,
                                              layers: layers, parameters: parameters)
            for (position, explanation) in explained.enumerated() {
                timings[position].forward += explanation.timings.forward
                timings[position].backward += explanation.timings.backward
                timings[position].map += explanation.timings.map
                for (k, cls) in explanation.classes.enumerated() {
                    let map = flip ? Self.mirrored(cls.heatmap) : cls.heatmap.values
                    for i in map.indices { sums[position][k][i] += map[i] }
                }
            }
        }
        var result = plain
        for (position, index) in smoothed.enumerated() {
            let mean = Float(Self.augmentations.count)
            let classes = plain[index].classes.enumerated().map { k, cls in
                ClassExplanation(classIndex: cls.classIndex,
                                 heatmap: Heatmap(raw: sums[position][k].map { $0 / mean }, width: cls.heatmap.width, height: cls.heatmap.height),
                                 attributions: cls.attributions)
            }
            result[index] = Explanation(logits: plain[index].logits, classes: classes, timings: timings[position],
                                        parameters: plain[index].parameters)
        }
        return result
    }

    /// ttach's order: horizontal flip (off, on) × the multipliers.
    static let augmentations: [(flip: Bool, scale: Float)] = [false, true].flatMap { flip in [1, 0.9, 1.1].map { (flip, $0) } }

    /// `x [1, C, H, W]` mirrored left-right when `flip`, times `scale`.
    static func augment(_ x: Tensor, flip: Bool, scale: Float) -> Tensor {
        let width = x.shape[3], rows = x.count / width
        var out = x
        for row in 0..<rows {
            let base = row * width
            for i in 0..<width { out.floats[base + i] = x.floats[base + (flip ? width - 1 - i : i)] * scale }
        }
        return out
    }

    /// A map's values mirrored left-right.
    static func mirrored(_ map: Heatmap) -> [Float] {
        (0..<map.height * map.width).map { i in
            let y = i / map.width, x = i % map.width
            return map.values[y * map.width + map.width - 1 - x]
        }
    }
}
