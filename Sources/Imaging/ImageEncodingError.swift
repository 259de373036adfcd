/// Why an `Image` could not be encoded.
public enum ImageEncodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The zlib level must be in 0...9.
    case invalidCompressionLevel(Int)
    /// PNG cannot hold an image with a zero width or height.
    case zeroSize
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
        case .outOfMemory:
            return "not enough memory to encode the image"
        case .failed(let detail):
            return "PNG encoding failed: \(detail)"
        }
    }
}
