extension Image {
    /// Default opacity of the heatmap in `overlaid(with:colormap:alpha:)`.
    public static let defaultOverlayAlpha: Float = 0.5

    /// The image with `heatmap` drawn over it through `colormap`:
    /// `out = floor((1 - alpha) * image + alpha * colormap(heat) + 0.5)` per channel, in Float.
    ///
    /// - Parameters:
    ///   - heatmap: values in [0, 1] (clamped; see `Colormap.index(for:)`), the image's size.
    ///   - alpha: opacity of the heatmap in [0, 1]: 0 returns the image, 1 the colored heatmap.
    public func overlaid(with heatmap: FloatPlane, colormap: Colormap = .default,
                         alpha: Float = defaultOverlayAlpha) throws(OverlayError) -> Image {
        guard alpha >= 0 && alpha <= 1 else { throw .invalidAlpha(alpha) }
        guard heatmap.width == width && heatmap.height == height else {
            throw .sizeMismatch(imageWidth: width, imageHeight: height,
                                heatmapWidth: heatmap.width, heatmapHeight: heatmap.height)
        }
        // Both terms by table: (1 - alpha) * v for every byte v, alpha * c for every colour entry.
        let imageTerm = (0...255).map { (1 - alpha) * Float($0) }
        let colorTerm = colormap.table.map { alpha * Float($0) }
        let count = pixels.count
        let blended = [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            pixels.withUnsafeBufferPointer { image in
                heatmap.values.withUnsafeBufferPointer { heat in
                    imageTerm.withUnsafeBufferPointer { imageTerm in
                        colorTerm.withUnsafeBufferPointer { colorTerm in
                            for (i, value) in heat.enumerated() {
                                let entry = Colormap.index(for: value) * 3
                                for c in 0..<3 {
                                    let sum = imageTerm[Int(image[3 * i + c])] + colorTerm[entry + c]
                                    output[3 * i + c] = UInt8(sum + 0.5)
                                }
                            }
                        }
                    }
                }
            }
            initialized = count
        }
        return Image(width: width, height: height, pixels: blended)
    }
}
