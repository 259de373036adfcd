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
    /// A side is longer than `format` can hold (`maxSide`: JPEG's 65500), though the pixels
    /// are within the limit; nothing was decoded.
    case sideTooLong(width: Int, height: Int, maxSide: Int, format: ImageFormat)
    /// An interlaced PNG that would need reducing (over `budget` pixels, or a side over 65536):
    /// its passes cannot be reduced while they are read.
    case interlacedTooLarge(width: Int, height: Int, budget: Int)
    /// The JPEG has `scans` scans, more than `limit`, the most accepted at its `width x height`
    /// (each scan costs a pass over every block of the image); nothing was decoded.
    case tooManyScans(scans: Int, limit: Int, width: Int, height: Int)
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
            // The declared sides come from the file: their product may not fit in an Int.
            let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
            let count = overflow ? "more than \(Int.max)" : "\(pixels)"
            return "image is \(width)x\(height) = \(count) pixels, more than the limit of \(limit)"
        case .sideTooLong(let width, let height, let maxSide, let format):
            return "image is \(width)x\(height); \(format.rawValue) sides are at most \(maxSide) pixels"
        case .interlacedTooLarge(let width, let height, let budget):
            return "interlaced PNG of \(width)x\(height) would need reducing (over \(budget) pixels or a side over 65536);"
                + " send it non-interlaced (only those are reduced while they are read)"
        case .tooManyScans(let scans, let limit, let width, let height):
            return "JPEG has \(scans) scans, more than the \(limit) accepted for a \(width)x\(height) image"
                + " (scans x pixels is limited to \(Image.jpegScanPixelBudget))"
        case .zeroSize:
            return "image declares a zero width or height"
        case .outOfMemory:
            return "not enough memory to decode the image"
        }
    }
}
