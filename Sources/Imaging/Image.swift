/// An 8-bit RGB image, rows top to bottom, pixels interleaved `R, G, B`.
public struct Image: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `width * height * 3` bytes.
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3,
                     "\(pixels.count) bytes for a \(width)x\(height) RGB image")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}
