extension Image {
    /// This image with `other` copied over it, top-left at (x, y); `other` must fit inside.
    public func pasting(_ other: Image, x: Int, y: Int) -> Image {
        precondition(x >= 0 && y >= 0 && x + other.width <= width && y + other.height <= height,
                     "a \(other.width)x\(other.height) image at (\(x), \(y)) does not fit in \(width)x\(height)")
        var result = self
        let rowBytes = other.width * 3
        result.pixels.withUnsafeMutableBufferPointer { target in
            other.pixels.withUnsafeBufferPointer { source in
                for row in 0..<other.height {
                    UnsafeMutableRawPointer(target.baseAddress! + ((y + row) * width + x) * 3)
                        .copyMemory(from: source.baseAddress! + row * rowBytes, byteCount: rowBytes)
                }
            }
        }
        return result
    }
}
