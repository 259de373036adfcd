import FuzzSupport
import Imaging

/// Fuzzes `Image.decode`, the PNG and JPEG decoders (C, in `CCodecs`) with EXIF orientation,
/// as the service calls it on every upload.
///
/// Invariants on a successful decode: the size is positive and within the pixel limit, the
/// pixel buffer holds width x height x 3 bytes, the decoded size is no larger than the
/// declared one (and equal to it unless a PNG side needs reducing), and decoding the same
/// bytes again gives the same pixels. A JPEG decoded
/// for a smaller `minimumSize` is at least that size (or the full size) and declares the
/// same original size. Errors are only compared, never rendered: `description` is not the
/// code under test.
func fuzzImage(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = fuzzInput(data, count)
    let first: Result<DecodedImage, ImageDecodingError> = decode(bytes, minimumSize: nil)
    let second = decode(bytes, minimumSize: nil)
    invariant(first == second, "two decodes of the same bytes differ")
    guard case .success(let decoded) = first else { return 0 }
    check(decoded)
    // Within the pixel budget (this limit is below it), only a PNG side past
    // `maxUnreducedSide` makes the decode reduced: by whole factors, each side rounded up.
    let (width, height) = (decoded.image.width, decoded.image.height)
    if max(decoded.originalWidth, decoded.originalHeight) <= Image.maxUnreducedSide {
        invariant(width == decoded.originalWidth && height == decoded.originalHeight,
                  "a full-size decode is \(width)x\(height) of \(decoded.originalWidth)x\(decoded.originalHeight)")
    } else {
        invariant(decoded.format == .png, "a JPEG within the budget was reduced")
        invariant(max(width, height) <= Image.maxUnreducedSide,
                  "\(width)x\(height) decoded from \(decoded.originalWidth)x\(decoded.originalHeight) still has a side over \(Image.maxUnreducedSide)")
    }

    if decoded.format == .jpeg {
        let wanted = (width: max(1, decoded.originalWidth / 3), height: max(1, decoded.originalHeight / 5))
        guard case .success(let scaled) = decode(bytes, minimumSize: wanted) else { return 0 }
        check(scaled)
        invariant(scaled.originalWidth == decoded.originalWidth && scaled.originalHeight == decoded.originalHeight,
                  "the declared size changed with the scale")
        invariant(scaled.image.width >= wanted.width && scaled.image.height >= wanted.height,
                  "asked for at least \(wanted), got \(scaled.image.width)x\(scaled.image.height)")
    }
    return 0
}

/// A limit well below the default, so that fuzzing stays within its memory cap.
private let pixelLimit = 1 << 20

private func decode(_ bytes: [UInt8], minimumSize: (width: Int, height: Int)?) -> Result<DecodedImage, ImageDecodingError> {
    Result { () throws(ImageDecodingError) in try Image.decode(bytes, minimumSize: minimumSize, pixelLimit: pixelLimit) }
}

private func check(_ decoded: DecodedImage) {
    let image = decoded.image
    invariant(image.width > 0 && image.height > 0, "decoded to \(image.width)x\(image.height)")
    invariant(image.width * image.height <= pixelLimit, "\(image.width)x\(image.height) passed the limit of \(pixelLimit) pixels")
    invariant(image.pixels.count == image.width * image.height * 3, "\(image.pixels.count) bytes for \(image.width)x\(image.height) RGB")
    invariant(image.width <= decoded.originalWidth && image.height <= decoded.originalHeight,
              "decoded \(image.width)x\(image.height), larger than the declared \(decoded.originalWidth)x\(decoded.originalHeight)")
}
