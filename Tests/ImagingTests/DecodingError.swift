import Imaging

/// The error `Image.decode` throws for `bytes`, or `nil` when they decode.
func decodingError(_ bytes: [UInt8], pixelLimit: Int = Image.defaultPixelLimit,
                   pixelBudget: Int = Image.defaultDecodePixelBudget) -> ImageDecodingError? {
    do {
        _ = try Image.decode(bytes, pixelLimit: pixelLimit, pixelBudget: pixelBudget)
        return nil
    } catch {
        return error
    }
}
