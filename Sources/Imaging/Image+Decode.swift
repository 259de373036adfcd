import CCodecs

extension Image {
    /// Default for `pixelLimit`: 50 megapixels (an RGB8 buffer of 150 MB).
    public static let defaultPixelLimit = 50_000_000

    /// Default for `pixelBudget`: 16 megapixels (an RGB8 buffer of 48 MB). Larger images are
    /// decoded reduced (see `decode`), so a request's decoded pixels stay within it.
    public static let defaultDecodePixelBudget = 16_777_216

    /// The longest PNG side decoded unreduced (see CCODECS_MAX_UNREDUCED_SIDE): resampling
    /// tables grow with the side, so a longer one is box-reduced as it is read.
    public static let maxUnreducedSide = Int(CCODECS_MAX_UNREDUCED_SIDE)

    /// Scans x declared pixels a JPEG may ask for (see CCODECS_JPEG_SCAN_PIXEL_BUDGET).
    public static let jpegScanPixelBudget = Int(CCODECS_JPEG_SCAN_PIXEL_BUDGET)

    /// Decodes PNG or JPEG bytes to RGB8, matching Pillow's `Image.open(f).convert("RGB")`
    /// (alpha dropped, not composited; 16-bit reduced to the high byte) followed, for JPEG,
    /// by `ImageOps.exif_transpose`.
    ///
    /// - Parameters:
    ///   - bytes: the encoded file.
    ///   - minimumSize: the smallest oriented size the caller needs (e.g. the model input). A JPEG
    ///     is decoded at the smallest DCT scale 1/8, 1/4 or 1/2 whose output is still at least this
    ///     big, else at full size (Pillow's `draft()`); `nil` (the default) decodes at full size.
    ///   - pixelLimit: the largest `width * height` accepted, checked against the header before
    ///     any pixel buffer is allocated. A JPEG's sides must also be at most 65500, and its
    ///     scans at most `jpegScanPixelBudget / pixels` (500 at most), counted before decoding;
    ///     a PNG's sides at most 1,000,000 (libpng's own default limits).
    ///   - pixelBudget: the most pixels decoded. A JPEG scale whose output exceeds it is halved
    ///     (down to 1/8). A PNG larger than it, or with a side over 65536, is read row by row and
    ///     box-reduced by integer factors as the rows arrive: the pixels of Pillow's
    ///     `reduce((fx, fy))`, with the smallest common factor (capped at each side) that fits,
    ///     raised to `ceil(side / 65536)` on a longer side. Images within it decode as without it.
    ///     Interlaced PNGs over it are refused (`interlacedTooLarge`).
    /// - Throws: `ImageDecodingError`; never traps on any input.
    public static func decode(
        _ bytes: [UInt8],
        minimumSize: (width: Int, height: Int)? = nil,
        pixelLimit: Int = defaultPixelLimit,
        pixelBudget: Int = defaultDecodePixelBudget
    ) throws(ImageDecodingError) -> DecodedImage {
        guard !bytes.isEmpty else { throw .empty }
        guard let format = ImageFormat(sniffing: bytes) else {
            if ImageFormat.isSignaturePrefix(bytes) { throw .truncated }
            throw .unsupportedFormat(detected: ForeignFormat.name(of: bytes))
        }
        var result = ccodecs_image()
        let limit = UInt64(max(pixelLimit, 0))
        let budget = UInt64(max(pixelBudget, 1))
        let status = bytes.withUnsafeBufferPointer { buffer in
            switch format {
            case .png:
                ccodecs_png_decode(buffer.baseAddress, buffer.count, limit, budget, &result)
            case .jpeg:
                // (0, 0) asks the C decoder for full size; any requested size is at least 1x1.
                ccodecs_jpeg_decode(buffer.baseAddress, buffer.count,
                                    minimumSize.map { clampedUInt32($0.width) } ?? 0,
                                    minimumSize.map { clampedUInt32($0.height) } ?? 0, limit, budget, &result)
            }
        }
        defer { ccodecs_free(result.pixels) }
        try check(status, result, format: format, pixelLimit: pixelLimit, pixelBudget: pixelBudget)
        guard let pixels = result.pixels else { throw .outOfMemory }
        let orientation = ExifOrientation(rawValue: Int(result.orientation)) ?? .up
        let image = orientation.apply(to: UnsafePointer(pixels), width: Int(result.width),
                                      height: Int(result.height))
        let (width, height) = orientation.orientedSize(width: Int(result.source_width),
                                                       height: Int(result.source_height))
        return DecodedImage(image: image, format: format, originalWidth: width, originalHeight: height)
    }

    /// Decodes PNG or JPEG bytes at full size with the default pixel limit; see `decode`.
    public init(decoding bytes: [UInt8]) throws(ImageDecodingError) {
        self = try Image.decode(bytes).image
    }
}

/// `value` clamped to 1...UInt32.max.
private func clampedUInt32(_ value: Int) -> UInt32 {
    UInt32(min(max(value, 1), Int(UInt32.max)))
}

/// Maps a CCODECS_* status to the Swift error it stands for.
private func check(
    _ status: Int32, _ result: ccodecs_image, format: ImageFormat, pixelLimit: Int, pixelBudget: Int
) throws(ImageDecodingError) {
    switch Int(status) {
    case CCODECS_OK:
        return
    case CCODECS_TRUNCATED:
        throw .truncated
    case CCODECS_TOO_LARGE:
        throw .tooLarge(width: Int(result.source_width), height: Int(result.source_height), limit: pixelLimit)
    case CCODECS_SIDE_TOO_LARGE:
        throw .sideTooLong(width: Int(result.source_width), height: Int(result.source_height),
                           maxSide: Int(format == .png ? CCODECS_PNG_MAX_SIDE : CCODECS_JPEG_MAX_SIDE), format: format)
    case CCODECS_INTERLACED_TOO_LARGE:
        throw .interlacedTooLarge(width: Int(result.source_width), height: Int(result.source_height),
                                  budget: pixelBudget)
    case CCODECS_TOO_MANY_SCANS:
        throw .tooManyScans(scans: Int(result.scans), limit: Int(result.scan_limit),
                            width: Int(result.source_width), height: Int(result.source_height))
    case CCODECS_ZERO_SIZE:
        throw .zeroSize
    case CCODECS_OUT_OF_MEMORY:
        throw .outOfMemory
    default:
        throw .corrupt(detail: cString(result.message))
    }
}
