/// Why an `Image` could not be encoded.
public enum ImageEncodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The zlib level must be in 0...9.
    case invalidCompressionLevel(Int)
    /// PNG cannot hold an image with a zero width or height.
    case zeroSize
    /// A side is longer than `maxSide`, the most the PNG writer takes.
    case tooLarge(width: Int, height: Int, maxSide: Int)
    /// The output buffer could not be allocated.
    case outOfMemory
    /// libpng refused; `detail` is its message.
    case failed(detail: String)

    public var description: String {
        switch self {
        case .invalidCompressionLevel(let level):
            return "PNG compression level \(level) is not in 0...9"
        case .zeroSize:
            return "cannot encode an image with a zero width or height"
        case .tooLarge(let width, let height, let maxSide):
            return "a \(width)x\(height) image cannot be written as PNG: its sides must be at most \(maxSide) pixels"
        case .outOfMemory:
            return "not enough memory to encode the image"
        case .failed(let detail):
            return "PNG encoding failed: \(detail)"
        }
    }
}
