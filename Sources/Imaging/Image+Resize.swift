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
        resized(width: newWidth, height: newHeight, keeping: 0..<newWidth, 0..<newHeight)
    }

    /// The part `columns x rows` of the image resized to `newWidth x newHeight`: the same pixels
    /// as `resized(width:height:)` then `cropped(...)`, but only the kept part is computed, so
    /// the resampling tables and buffers grow with it, not with `newWidth x newHeight` (a 1x20000
    /// image resized to 256x5120000 for a 224x224 centre crop costs a few 224-pixel rows).
    /// The pass order is chosen from the full sizes, as `resized(width:height:)` chooses it.
    public func resized(width newWidth: Int, height newHeight: Int,
                        keeping columns: Range<Int>, _ rows: Range<Int>) -> Image {
        precondition(width > 0 && height > 0, "cannot resize an empty \(width)x\(height) image")
        precondition(newWidth > 0 && newHeight > 0, "cannot resize to \(newWidth)x\(newHeight)")
        precondition(!columns.isEmpty && !rows.isEmpty && columns.lowerBound >= 0 && rows.lowerBound >= 0
                     && columns.upperBound <= newWidth && rows.upperBound <= newHeight,
                     "columns \(columns) and rows \(rows) are not a part of \(newWidth)x\(newHeight)")
        let verticalFirst = newHeight < height && height - newHeight > 2 * (width - newWidth)
        // An axis that keeps its size only loses what is cropped away: crop it first.
        var source = self
        if newWidth == width && columns.count != width {
            source = source.cropped(x: columns.lowerBound, y: 0, width: columns.count, height: source.height)
        }
        if newHeight == height && rows.count != height {
            source = source.cropped(x: 0, y: rows.lowerBound, width: source.width, height: rows.count)
        }
        let horizontal = newWidth == width ? nil : ResampleKernel(inputSize: width, outputSize: newWidth, outputs: columns)
        let vertical = newHeight == height ? nil : ResampleKernel(inputSize: height, outputSize: newHeight, outputs: rows)
        let (outWidth, outHeight) = (columns.count, rows.count)
        var result = source.pixels
        if let vertical, verticalFirst {
            result = result.withUnsafeBufferPointer { pixels in
                resampleColumns(pixels, rowLength: source.width * 3, firstRow: 0, kernel: vertical, newHeight: outHeight)
            }
            if let horizontal {
                result = result.withUnsafeBufferPointer { pixels in
                    resampleRows(pixels, width: source.width, rows: 0..<outHeight, kernel: horizontal, newWidth: outWidth)
                }
            }
            return Image(width: outWidth, height: outHeight, pixels: result)
        }
        // Only the rows the vertical pass reads go through the horizontal pass.
        let read = vertical.map { $0.first[0]..<($0.first[outHeight - 1] + $0.count[outHeight - 1]) } ?? 0..<source.height
        if let horizontal {
            result = result.withUnsafeBufferPointer { pixels in
                resampleRows(pixels, width: source.width, rows: read, kernel: horizontal, newWidth: outWidth)
            }
        }
        if let vertical {
            result = result.withUnsafeBufferPointer { pixels in
                resampleColumns(pixels, rowLength: outWidth * 3, firstRow: horizontal == nil ? 0 : read.lowerBound,
                                kernel: vertical, newHeight: outHeight)
            }
        }
        return Image(width: outWidth, height: outHeight, pixels: result)
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
