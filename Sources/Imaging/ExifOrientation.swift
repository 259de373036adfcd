/// The EXIF Orientation tag (0x0112): how stored pixels are turned for display, as
/// Pillow's `ImageOps.exif_transpose` applies it.
enum ExifOrientation: Int {
    case up = 1                 // as stored
    case mirrored = 2           // FLIP_LEFT_RIGHT
    case upsideDown = 3         // ROTATE_180
    case upsideDownMirrored = 4 // FLIP_TOP_BOTTOM
    case transposed = 5         // TRANSPOSE
    case rotatedClockwise = 6   // ROTATE_270 (counter-clockwise), i.e. 90 degrees clockwise
    case transverse = 7         // TRANSVERSE
    case rotatedCounterClockwise = 8 // ROTATE_90

    /// Orientations 5...8 swap width and height.
    var swapsAxes: Bool { rawValue >= 5 }

    func orientedSize(width: Int, height: Int) -> (width: Int, height: Int) {
        swapsAxes ? (height, width) : (width, height)
    }

    /// The displayed image for `width x height` stored RGB8 pixels.
    ///
    /// Output pixel (x, y) is stored pixel `origin + x * dx + y * dy` (indices in pixels); the
    /// copy walks 64x64 tiles so that the transposing orientations stay cache friendly.
    func apply(to source: UnsafePointer<UInt8>, width: Int, height: Int) -> Image {
        let count = width * height * 3
        let (outWidth, outHeight) = orientedSize(width: width, height: height)
        if self == .up {
            return Image(width: width, height: height,
                         pixels: Array(UnsafeBufferPointer(start: source, count: count)))
        }
        let (origin, dx, dy) = walk(width: width, height: height)
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { destination, initialized in
            let tile = 64
            for tileY in stride(from: 0, to: outHeight, by: tile) {
                for tileX in stride(from: 0, to: outWidth, by: tile) {
                    for y in tileY..<min(tileY + tile, outHeight) {
                        var s = (origin + tileX * dx + y * dy) * 3
                        var d = (y * outWidth + tileX) * 3
                        for _ in tileX..<min(tileX + tile, outWidth) {
                            destination[d] = source[s]
                            destination[d + 1] = source[s + 1]
                            destination[d + 2] = source[s + 2]
                            s += dx * 3
                            d += 3
                        }
                    }
                }
            }
            initialized = count
        }
        return Image(width: outWidth, height: outHeight, pixels: pixels)
    }

    /// `(origin, dx, dy)` for a stored image of `width x height` (W x H): the stored index of
    /// output pixel (0, 0) and the index steps for output x and y.
    private func walk(width w: Int, height h: Int) -> (Int, Int, Int) {
        switch self {
        case .up: return (0, 1, w)
        case .mirrored: return (w - 1, -1, w)
        case .upsideDown: return ((h - 1) * w + w - 1, -1, -w)
        case .upsideDownMirrored: return ((h - 1) * w, 1, -w)
        case .transposed: return (0, w, 1)
        case .rotatedClockwise: return ((h - 1) * w, -w, 1)
        case .transverse: return ((h - 1) * w + w - 1, -w, -1)
        case .rotatedCounterClockwise: return (w - 1, w, -1)
        }
    }
}
