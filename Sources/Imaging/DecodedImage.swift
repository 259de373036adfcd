/// The result of `Image.decode`: the pixels plus what the file declared.
public struct DecodedImage: Sendable, Equatable {
    /// RGB8 pixels, EXIF orientation applied, possibly reduced by JPEG DCT scaling.
    public var image: Image
    /// The format the bytes were in.
    public let format: ImageFormat
    /// Full-resolution size after EXIF orientation (what the image would be without DCT scaling).
    public let originalWidth: Int
    public let originalHeight: Int
}
