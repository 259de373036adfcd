/// A single-channel Float image (e.g. a heatmap), rows top to bottom:
/// the value at column x, row y is `values[y * width + x]`.
public struct FloatPlane: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `width * height` values.
    public var values: [Float]

    public init(width: Int, height: Int, values: [Float]) {
        precondition(width >= 0 && height >= 0 && values.count == width * height,
                     "\(values.count) values for a \(width)x\(height) plane")
        self.width = width
        self.height = height
        self.values = values
    }
}
