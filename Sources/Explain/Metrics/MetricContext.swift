import Foundation
import Tensor

/// What every metric reads: one preprocessed input, one class, its map at the input's
/// resolution, and the model as a batched scorer. Confidences are the class's softmax
/// probability (as RISE's and the Grad-CAM++ paper's code, and pytorch-grad-cam's
/// `ClassifierOutputSoftmaxTarget`).
struct MetricContext {
    /// The input `[1, C, H, W]` (NCHW, preprocessed), planar.
    let input: [Float]
    let channels: Int
    let height: Int
    let width: Int
    let classIndex: Int
    /// The class map upsampled to `H x W` and normalized to [0, 1] (pytorch-grad-cam's
    /// `scale_cam_image` after `aggregate_multi_layers`), row-major.
    let map: [Float]
    /// The class's probability for the unperturbed input.
    let baseline: Float
    /// Logits `[B, classes]` (flattened) for a batch `[B, C, H, W]`.
    let score: (Tensor) throws -> [Float]
    let cancellation: Cancellation?

    var pixels: Int { height * width }

    /// The class's probability for each of `images` (`[C, H, W]` each), scored together
    /// (the scorer splits the batch as the model allows).
    func probabilities(_ images: [[Float]]) throws -> [Float] {
        try cancellation?.check()
        let logits = try score(Tensor(shape: [images.count, channels, height, width], floats: Array(images.joined())))
        let classes = logits.count / images.count
        return (0..<images.count).map { Self.probability(of: classIndex, in: logits[$0 * classes ..< ($0 + 1) * classes]) }
    }

    /// `softmax(logits)[index]`, in Double.
    static func probability(of index: Int, in logits: ArraySlice<Float>) -> Float {
        let top = Double(logits.max() ?? 0)
        let total = logits.reduce(0.0) { $0 + exp(Double($1) - top) }
        return Float(exp(Double(logits[logits.startIndex + index]) - top) / total)
    }

    /// The input times the map, broadcast over channels (pytorch-grad-cam's
    /// `multiply_tensor_with_cam`, the Grad-CAM++ paper's explanation map `E = L ∘ I`).
    var inputTimesMap: [Float] {
        var out = input
        for c in 0..<channels {
            for i in 0..<pixels { out[c * pixels + i] *= map[i] }
        }
        return out
    }
}
