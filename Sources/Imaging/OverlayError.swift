/// Why a heatmap could not be laid over an image.
public enum OverlayError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The opacity must be a number in [0, 1].
    case invalidAlpha(Float)
    /// The heatmap must have the image's size.
    case sizeMismatch(imageWidth: Int, imageHeight: Int, heatmapWidth: Int, heatmapHeight: Int)

    public var description: String {
        switch self {
        case .invalidAlpha(let alpha):
            return "overlay alpha \(alpha) is not in [0, 1]"
        case .sizeMismatch(let imageWidth, let imageHeight, let heatmapWidth, let heatmapHeight):
            return "heatmap is \(heatmapWidth)x\(heatmapHeight) but the image is \(imageWidth)x\(imageHeight)"
        }
    }
}
