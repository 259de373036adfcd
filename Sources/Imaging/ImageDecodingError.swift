/// Why bytes could not be decoded into an `Image`.
public enum ImageDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No bytes at all.
    case empty
    /// Neither PNG nor JPEG (the accepted formats); `detected` names the format when recognized
    /// (e.g. "GIF", "WebP").
    case unsupportedFormat(detected: String?)
    /// The data ends before the image does.
    case truncated
    /// The codec rejected the data; `detail` is its message.
    case corrupt(detail: String)
    /// The header declares `width x height` pixels, more than `limit`; nothing was decoded.
    case tooLarge(width: Int, height: Int, limit: Int)
    /// The header declares a zero width or height.
    case zeroSize
    /// The decoded pixels could not be allocated.
    case outOfMemory

    /// The formats `Image.decode` accepts, for messages: "PNG, JPEG".
    public static let acceptedFormats = ImageFormat.allCases.map(\.rawValue).joined(separator: ", ")

    public var description: String {
        switch self {
        case .empty:
            return "empty image data"
        case .unsupportedFormat(let detected):
            let what = detected.map { "\($0) is not supported" } ?? "unrecognized image format"
            return "\(what); accepted formats: \(Self.acceptedFormats)"
        case .truncated:
            return "image data is truncated"
        case .corrupt(let detail):
            return "corrupt image data: \(detail)"
        case .tooLarge(let width, let height, let limit):
            return "image is \(width)x\(height) = \(width * height) pixels, more than the limit of \(limit)"
        case .zeroSize:
            return "image declares a zero width or height"
        case .outOfMemory:
            return "not enough memory to decode the image"
        }
    }
}
