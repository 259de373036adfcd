extension FloatPlane {
    /// The plane resized to `newWidth x newHeight` with the bilinear filter of `ResampleKernel`:
    /// for upsampling (a heatmap to the image size) this is half-pixel-centre bilinear
    /// interpolation with edge clamping, as cv2.resize INTER_LINEAR; for downsampling it is
    /// antialiased like Pillow's `resize(size, BILINEAR)` on mode "F" images.
    /// Separable, horizontal pass first, in Float. Both sizes must be positive.
    public func resized(width newWidth: Int, height newHeight: Int) -> FloatPlane {
        precondition(width > 0 && height > 0, "cannot resize an empty \(width)x\(height) plane")
        precondition(newWidth > 0 && newHeight > 0, "cannot resize to \(newWidth)x\(newHeight)")
        var plane = self
        if newWidth != width {
            let kernel = ResampleKernel(inputSize: width, outputSize: newWidth)
            plane = FloatPlane(width: newWidth, height: height,
                               values: resample(values, lines: height, lineStride: width, step: 1,
                                                kernel: kernel, newCount: newWidth, newLineStride: newWidth,
                                                newStep: 1))
        }
        if newHeight != height {
            let kernel = ResampleKernel(inputSize: height, outputSize: newHeight)
            plane = FloatPlane(width: newWidth, height: newHeight,
                               values: resample(plane.values, lines: newWidth, lineStride: 1, step: newWidth,
                                                kernel: kernel, newCount: newHeight, newLineStride: 1,
                                                newStep: newWidth))
        }
        return plane
    }
}

/// Resamples `lines` independent 1-D signals: signal `l`, sample `i` is at `l * lineStride + i * step`
/// in the input and `l * newLineStride + i * newStep` in the output. Output sample i is
/// `sum_k in[first_i + k] * w_ik`, accumulated in Float.
private func resample(_ values: [Float], lines: Int, lineStride: Int, step: Int, kernel: ResampleKernel,
                      newCount: Int, newLineStride: Int, newStep: Int) -> [Float] {
    let count = lines * newCount
    let weights = kernel.weights.map(Float.init)
    return [Float](unsafeUninitializedCapacity: count) { output, initialized in
        values.withUnsafeBufferPointer { input in
            weights.withUnsafeBufferPointer { weights in
                let input = input.baseAddress!
                let output = output.baseAddress!
                for i in 0..<newCount {
                    let first = kernel.first[i], taps = kernel.count[i]
                    let weight = weights.baseAddress! + i * kernel.taps
                    for line in 0..<lines {
                        var sample = input + line * lineStride + first * step
                        var sum: Float = 0
                        for k in 0..<taps {
                            sum += sample.pointee * weight[k]
                            sample += step
                        }
                        output[line * newLineStride + i * newStep] = sum
                    }
                }
            }
        }
        initialized = count
    }
}
