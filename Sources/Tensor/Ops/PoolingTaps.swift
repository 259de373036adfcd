/// Where the taps of a pooling window fall, along one spatial axis, for every output
/// position `o`: the in-bounds taps (`first[o]`, then every `dilation`, `count[o]` of
/// them) and how many taps lie inside the padded extent (`padded[o]`, for
/// `count_include_pad`).
///
/// Taps past the padded extent, which `ceil_mode` can create, count for neither (as in
/// PyTorch and onnxruntime).
struct PoolingTaps {
    /// `first`, `count` and `padded`, one after the other.
    private var storage: [Int] = []
    let outputs: Int

    init(outputs: Int, size: Int, kernel: Int, stride: Int, dilation: Int, padBegin: Int, padEnd: Int) {
        self.outputs = outputs
        var first: [Int] = [], count: [Int] = [], padded: [Int] = []
        for o in 0..<outputs {
            let start = o * stride - padBegin
            // Taps k with 0 ≤ start + k·dilation < size.
            let low = start >= 0 ? 0 : (-start + dilation - 1) / dilation
            let high = size > start ? min(kernel, (size - start + dilation - 1) / dilation) : 0
            first.append(start + low * dilation)
            count.append(max(0, high - low))
            padded.append(max(0, min(kernel, (size + padEnd - start + dilation - 1) / dilation)))
        }
        storage = first + count + padded
    }

    /// Taps along rows and columns of a resolved window.
    static func of(_ g: WindowGeometry) -> (rows: PoolingTaps, columns: PoolingTaps) {
        (PoolingTaps(outputs: g.outH, size: g.inH, kernel: g.kernelH, stride: g.strideH, dilation: g.dilationH,
                     padBegin: g.padTop, padEnd: g.padBottom),
         PoolingTaps(outputs: g.outW, size: g.inW, kernel: g.kernelW, stride: g.strideW, dilation: g.dilationW,
                     padBegin: g.padLeft, padEnd: g.padRight))
    }

    /// The three arrays as pointers, for kernel loops.
    struct Pointers {
        let first, count, padded: UnsafePointer<Int>
    }

    func withPointers<R>(_ body: (Pointers) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer { p in
            let base = p.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<Int>.alignment)!
            return try body(Pointers(first: base, count: base + outputs, padded: base + 2 * outputs))
        }
    }
}
