import Tensor

/// Occlusion (Zeiler and Fergus), as Captum's `Occlusion` with `baselines=0` and a square
/// window over every channel (`sliding_window_shapes=(C, window, window)`,
/// `strides=(C, stride, stride)`): for each window position `p` (top-left corners `0, stride,
/// 2·stride, …`, `⌈(H − window) / stride⌉ + 1` of them per axis, the last ones cut at the
/// input's edge, as Captum's), `d_p = S_k(x) − S_k(x with the window set to 0)`; each input
/// value's attribution is the mean of `d_p` over the windows covering it, `[C, H, W]` per
/// class, the same in every channel.
///
/// Parameters: `window` (default 16: Captum has none) and `stride` (default `window / 2`,
/// at least 1; Captum's default 1 costs a pass per pixel). The occluded inputs are scored
/// `scoreBatchSize` at a time (`Evidence.scores`), all classes from the same passes. A window
/// larger than the input, a stride larger than the window (Captum refuses it too: values no
/// window covers), or more than `maximumPasses` positions, is refused.
struct Occlusion: ExplanationMethod {
    var name: String { "occlusion" }
    var attributesInput: Bool { true }
    var summary: String { "Occlusion: the drop in the class score when a sliding window of the input is set to 0; no layer" }
    var needs: MethodNeeds { MethodNeeds(scores: true) }

    static let defaultWindow = 16
    /// Bounds one request's forward passes.
    static let maximumPasses = 4096

    static func window(_ requested: MethodParameters) -> (side: Int, stride: Int) {
        let side = requested.window ?? defaultWindow
        return (side, requested.stride ?? max(side / 2, 1))
    }

    func parameters(_ requested: MethodParameters) -> [String: ParameterValue] {
        let (side, stride) = Self.window(requested)
        return ["window": .int(side), "stride": .int(stride)]
    }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        let (side, stride) = Self.window(evidence.parameters)
        let input = evidence.input, classes = evidence.classes
        let channels = input.shape[1], height = input.shape[2], width = input.shape[3]
        guard side <= height, side <= width else {
            throw ExplainError.invalidParameter("window \(side) is larger than the model's input (\(height) x \(width)); occlusion takes a window of at most \(min(height, width))")
        }
        guard stride <= side else {
            throw ExplainError.invalidParameter("stride \(stride) is larger than the window \(side); occlusion takes a stride of at most the window")
        }
        let rows = (height - side + stride - 1) / stride + 1, columns = (width - side + stride - 1) / stride + 1
        guard rows * columns <= Self.maximumPasses else {
            throw ExplainError.invalidParameter("occlusion with window \(side) and stride \(stride) needs \(rows * columns) passes over a \(height) x \(width) input; at most \(Self.maximumPasses): take a larger stride or window")
        }
        let plane = height * width, positions = rows * columns
        var totals = [[Double]](repeating: [Double](repeating: 0, count: plane), count: classes.count)
        var counts = [Int](repeating: 0, count: plane)
        func covered(_ p: Int) -> (ys: Range<Int>, xs: Range<Int>) {
            let top = (p / columns) * stride, left = (p % columns) * stride
            return (top ..< min(top + side, height), left ..< min(left + side, width))
        }
        var start = 0
        while start < positions {
            let count = min(max(evidence.scoreBatchSize, 1), positions - start)
            var batch = [Float](repeating: 0, count: count * input.count)
            for b in 0..<count {
                batch.replaceSubrange(b * input.count ..< (b + 1) * input.count, with: input.floats)
                let (ys, xs) = covered(start + b)
                for c in 0..<channels {
                    for y in ys { for x in xs { batch[b * input.count + c * plane + y * width + x] = 0 } }
                }
            }
            let logits = try evidence.scores(Tensor(shape: [count] + input.shape.dropFirst(), floats: batch))
            let classCount = logits.count / count
            for b in 0..<count {
                let (ys, xs) = covered(start + b)
                for y in ys { for x in xs { counts[y * width + x] += 1 } }
                for (k, cls) in classes.enumerated() {
                    let drop = Double(evidence.logits[cls]) - Double(logits[b * classCount + cls])
                    for y in ys { for x in xs { totals[k][y * width + x] += drop } }
                }
            }
            start += count
        }
        return classes.indices.map { k in
            let map = (0..<plane).map { i in counts[i] > 0 ? Float(totals[k][i] / Double(counts[i])) : 0 }
            let values = (0..<channels).flatMap { _ in map }
            return InputAttribution.explanation(evidence, k, name: "occlusion", values: InputAttribution.tensor(evidence, values))
        }
    }
}

extension Method {
    public static let occlusion = Method(Occlusion())
}
