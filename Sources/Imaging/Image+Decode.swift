import CCodecs

extension Image {
    /// Default for `pixelLimit`: 50 megapixels (an RGB8 buffer of 150 MB).
    public static let defaultPixelLimit = 50_000_000

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
    ///     PNG is always decoded at full size.
    ///   - pixelLimit: the largest `width * height` accepted, checked against the header before
    ///     any pixel buffer is allocated. A JPEG's sides must also be at most 65500, and its
    ///     scans at most `jpegScanPixelBudget / pixels` (500 at most), counted before decoding.
    /// - Throws: `ImageDecodingError`; never traps on any input.
    public static func decode(
        _ bytes: [UInt8],
        minimumSize: (width: Int, height: Int)? = nil,
        pixelLimit: Int = defaultPixelLimit
    ) throws(ImageDecodingError) -> DecodedImage {
        guard !bytes.isEmpty else { throw .empty }
        guard let format = ImageFormat(sniffing: bytes) else {
            if ImageFormat.isSignaturePrefix(bytes) { throw .truncated }
            throw .unsupportedFormat(detected: ForeignFormat.name(of: bytes))
        }
        var result = ccodecs_image()
        let limit = UInt64(max(pixelLimit, 0))
        let status = bytes.withUnsafeBufferPointer { buffer in
            switch format {
            case .png:
                ccodecs_png_decode(buffer.baseAddress, buffer.count, limit, &result)
            case .jpeg:
                // (0, 0) asks the C decoder for full size; any requested size is at least 1x1.
                ccodecs_jpeg_decode(buffer.baseAddress, buffer.count,
                                    minimumSize.map { clampedUInt32($0.width) } ?? 0,
                                    minimumSize.map { clampedUInt32($0.height) } ?? 0, limit, &result)
            }
        }
        defer { ccodecs_free(result.pixels) }
        try check(status, result, pixelLimit: pixelLimit)
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
private func check(_ status: Int32, _ result: ccodecs_image, pixelLimit: Int) throws(ImageDecodingError) {
    switch Int(status) {
    case CCODECS_OK:
        return
    case CCODECS_TRUNCATED:
        throw .truncated
    case CCODECS_TOO_LARGE:
        throw .tooLarge(width: Int(result.source_width), height: Int(result.source_height), limit: pixelLimit)
    case CCODECS_SIDE_TOO_LARGE:
        throw .sideTooLong(width: Int(result.source_width), height: Int(result.source_height),
                           maxSide: Int(CCODECS_JPEG_MAX_SIDE), format: .jpeg)
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
