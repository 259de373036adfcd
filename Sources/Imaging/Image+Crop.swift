extension Image {
    /// The `width x height` region whose top-left pixel is (x, y); it must lie inside the image.
    public func cropped(x: Int, y: Int, width newWidth: Int, height newHeight: Int) -> Image {
        precondition(x >= 0 && y >= 0 && newWidth >= 0 && newHeight >= 0
                     && x + newWidth <= width && y + newHeight <= height,
                     "crop \(newWidth)x\(newHeight) at (\(x), \(y)) is outside a \(width)x\(height) image")
        if newWidth == width && newHeight == height { return self }
        let rowBytes = newWidth * 3
        let count = rowBytes * newHeight
        let region = [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            pixels.withUnsafeBufferPointer { source in
                for row in 0..<newHeight {
                    let start = ((y + row) * width + x) * 3
                    UnsafeMutableRawPointer(output.baseAddress! + row * rowBytes)
                        .copyMemory(from: source.baseAddress! + start, byteCount: rowBytes)
                }
            }
            initialized = count
        }
        return Image(width: newWidth, height: newHeight, pixels: region)
    }

    /// The centred `width x height` region, offsets rounded as torchvision's `CenterCrop`:
    /// `top = round((height - newHeight) / 2)`, `left = round((width - newWidth) / 2)`, half to even.
    /// The region must fit inside the image.
    public func centerCropped(width newWidth: Int, height newHeight: Int) -> Image {
        let (left, top) = Image.centerCropOrigin(width: width, height: height, cropWidth: newWidth, cropHeight: newHeight)
        return cropped(x: left, y: top, width: newWidth, height: newHeight)
    }

    /// The top-left corner of the centred `cropWidth x cropHeight` region of a `width x height`
    /// image, rounded as `centerCropped(width:height:)` rounds it.
    public static func centerCropOrigin(width: Int, height: Int, cropWidth: Int, cropHeight: Int) -> (x: Int, y: Int) {
        (Int((Double(width - cropWidth) / 2).rounded(.toNearestOrEven)),
         Int((Double(height - cropHeight) / 2).rounded(.toNearestOrEven)))
    }
}
