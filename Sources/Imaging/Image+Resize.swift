extension Image {
    /// The image resized to `newWidth x newHeight` with a bilinear (triangle) filter that widens
    /// when shrinking, so downscaling is antialiased; the same pixels as Pillow's
    /// `image.resize((newWidth, newHeight), Image.BILINEAR)` for RGB images.
    ///
    /// Separable, each pass in Pillow's 8-bit fixed point:
    /// `out = clamp((2^21 + sum_j in_j * round(w_j * 2^22)) >> 22, 0, 255)` with the weights
    /// of `ResampleKernel`. Like Pillow 13, the vertical pass runs first when the height shrinks
    /// by more than twice what the width shrinks (`0 < height - newHeight` and
    /// `height - newHeight > 2 * (width - newWidth)`, which includes any widening);
    /// otherwise the horizontal pass runs first (on only the rows the vertical pass reads).
    /// Both sizes must be positive.
    public func resized(width newWidth: Int, height newHeight: Int) -> Image {
        precondition(width > 0 && height > 0, "cannot resize an empty \(width)x\(height) image")
        precondition(newWidth > 0 && newHeight > 0, "cannot resize to \(newWidth)x\(newHeight)")
        let horizontal = newWidth == width ? nil : ResampleKernel(inputSize: width, outputSize: newWidth)
        let vertical = newHeight == height ? nil : ResampleKernel(inputSize: height, outputSize: newHeight)
        var result = pixels
        if let vertical, newHeight < height, height - newHeight > 2 * (width - newWidth) {
            result = result.withUnsafeBufferPointer { source in
                resampleColumns(source, rowLength: width * 3, firstRow: 0, kernel: vertical, newHeight: newHeight)
            }
            if let horizontal {
                result = result.withUnsafeBufferPointer { source in
                    resampleRows(source, width: width, rows: 0..<newHeight, kernel: horizontal, newWidth: newWidth)
                }
            }
            return Image(width: newWidth, height: newHeight, pixels: result)
        }
        // Only the rows the vertical pass reads go through the horizontal pass.
        let rows = vertical.map { $0.first[0]..<($0.first[newHeight - 1] + $0.count[newHeight - 1]) } ?? 0..<height
        if let horizontal {
            result = result.withUnsafeBufferPointer { source in
                resampleRows(source, width: width, rows: rows, kernel: horizontal, newWidth: newWidth)
            }
        }
        if let vertical {
            result = result.withUnsafeBufferPointer { source in
                resampleColumns(source, rowLength: newWidth * 3, firstRow: horizontal == nil ? 0 : rows.lowerBound,
                                kernel: vertical, newHeight: newHeight)
            }
        }
        return Image(width: newWidth, height: newHeight, pixels: result)
    }
}

/// 2^21: one half in the 22-bit fixed point of `ResampleKernel.fixedPointWeights`.
private let fixedPointHalf = Int32(1) << (ResampleKernel.precisionBits - 1)

/// Horizontal pass: `rows` of an RGB8 image `width` wide, each resampled to `newWidth` pixels.
private func resampleRows(_ source: UnsafeBufferPointer<UInt8>, width: Int, rows: Range<Int>,
                          kernel: ResampleKernel, newWidth: Int) -> [UInt8] {
    let count = newWidth * rows.count * 3
    let weights = kernel.fixedPointWeights
    return [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
        weights.withUnsafeBufferPointer { weights in
            kernel.first.withUnsafeBufferPointer { first in
                kernel.count.withUnsafeBufferPointer { taps in
                    let input = source.baseAddress!
                    let output = output.baseAddress!
                    for (outRow, row) in rows.enumerated() {
                        let rowStart = input + row * width * 3
                        let outStart = output + outRow * newWidth * 3
                        for x in 0..<newWidth {
                            var red = fixedPointHalf, green = fixedPointHalf, blue = fixedPointHalf
                            var pixel = rowStart + first[x] * 3
                            var weight = weights.baseAddress! + x * kernel.taps
                            for _ in 0..<taps[x] {
                                red &+= Int32(pixel[0]) &* weight.pointee
                                green &+= Int32(pixel[1]) &* weight.pointee
                                blue &+= Int32(pixel[2]) &* weight.pointee
                                pixel += 3
                                weight += 1
                            }
                            outStart[x * 3] = clip8(red)
                            outStart[x * 3 + 1] = clip8(green)
                            outStart[x * 3 + 2] = clip8(blue)
                        }
                    }
                }
            }
        }
        initialized = count
    }
}

/// Vertical pass: rows of `rowLength` bytes (the first being image row `firstRow`) resampled to
/// `newHeight` rows, accumulating whole rows so the inner loop vectorizes.
private func resampleColumns(_ source: UnsafeBufferPointer<UInt8>, rowLength: Int, firstRow: Int,
                             kernel: ResampleKernel, newHeight: Int) -> [UInt8] {
    let count = rowLength * newHeight
    let weights = kernel.fixedPointWeights
    var sums = [Int32](repeating: 0, count: rowLength)
    return [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
        sums.withUnsafeMutableBufferPointer { sums in
            let sums = sums.baseAddress!
            let input = source.baseAddress!
            for y in 0..<newHeight {
                for i in 0..<rowLength { sums[i] = fixedPointHalf }
                for tap in 0..<kernel.count[y] {
                    let weight = weights[y * kernel.taps + tap]
                    let row = input + (kernel.first[y] - firstRow + tap) * rowLength
                    for i in 0..<rowLength { sums[i] &+= Int32(row[i]) &* weight }
                }
                let outRow = output.baseAddress! + y * rowLength
                for i in 0..<rowLength { outRow[i] = clip8(sums[i]) }
            }
        }
        initialized = count
    }
}

/// A 22-bit fixed-point sum as a byte: `clamp(sum >> 22, 0, 255)`.
@inline(__always)
private func clip8(_ sum: Int32) -> UInt8 {
    UInt8(clamping: sum >> ResampleKernel.precisionBits)
}
