import Tensor

/// Where a rank-4 tensor keeps its channels: `[N, C, H, W]` (ONNX's convolutions) or
/// `[N, H, W, C]` (Keras/TensorFlow inputs, ConvNeXt's Permute → LayerNorm → Linear blocks).
/// Maps are computed on `[K, C, H, W]`: `nchw(_:)` brings a channels-last tensor there.
public enum Layout: String, Sendable, Hashable, Codable, CaseIterable {
    case nchw = "NCHW"
    case nhwc = "NHWC"

    /// The axes of channels, height and width in a shape of this layout.
    public var axes: (channels: Int, height: Int, width: Int) {
        switch self {
        case .nchw: (1, 2, 3)
        case .nhwc: (3, 1, 2)
        }
    }

    /// `[N, C, H, W]` in this layout.
    public func shape(batch: Int, channels: Int, height: Int, width: Int) -> [Int] {
        switch self {
        case .nchw: [batch, channels, height, width]
        case .nhwc: [batch, height, width, channels]
        }
    }

    /// The layout of a graph input of `shape`, when the shape tells: rank 4 with a 1- or
    /// 3-channel axis at position 1 (NCHW) or 3 (NHWC) and not the other (a symbolic one
    /// counts as neither). Nil when it cannot tell (`[N, 3, 3, 3]`, symbolic channels);
    /// throws when the input is no image at all.
    public static func ofImageInput(_ shape: [Int?]) throws(ExplainError) -> Layout? {
        guard shape.count == 4 else {
            throw .unsupportedModel(
                "the input has shape \(Self.describe(shape)), which is not an image: expected rank 4, [N, C, H, W] or [N, H, W, C] with 1 or 3 channels")
        }
        let isColour = { (dimension: Int?) in dimension.map { $0 == 1 || $0 == 3 } }
        switch (isColour(shape[1]), isColour(shape[3])) {
        case (true, false), (true, nil): return .nchw
        case (false, true), (nil, true): return .nhwc
        case (false, false):
            throw .unsupportedModel(
                "the input has shape \(Self.describe(shape)), which is not an image: neither axis 1 (NCHW) nor axis 3 (NHWC) has 1 or 3 channels")
        default: return nil
        }
    }

    /// `[1, ?, 224, 224]`: a declared shape with its symbolic dimensions as `?`.
    public static func describe(_ shape: [Int?]) -> String {
        "[" + shape.map { $0.map(String.init) ?? "?" }.joined(separator: ", ") + "]"
    }

    /// A rank-4 tensor of this layout as `[N, C, H, W]` (a copy when channels-last).
    public func nchw(_ tensor: Tensor) -> Tensor {
        guard self == .nhwc else { return tensor }
        let (n, h, w, c) = (tensor.shape[0], tensor.shape[1], tensor.shape[2], tensor.shape[3])
        return Tensor(shape: [n, c, h, w], floats: Self.transposed(tensor.floats, batch: n, rows: h * w, columns: c))
    }

    /// An `[N, C, H, W]` tensor in this layout (a copy when channels-last): the inverse of `nchw(_:)`.
    public func fromNCHW(_ tensor: Tensor) -> Tensor {
        guard self == .nhwc else { return tensor }
        let (n, c, h, w) = (tensor.shape[0], tensor.shape[1], tensor.shape[2], tensor.shape[3])
        return Tensor(shape: [n, h, w, c], floats: Self.transposed(tensor.floats, batch: n, rows: c, columns: h * w))
    }

    /// Each of `batch` row-major `rows x columns` matrices transposed.
    private static func transposed(_ values: [Float], batch: Int, rows: Int, columns: Int) -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { x in
            for b in 0..<batch {
                let base = b * rows * columns
                for r in 0..<rows {
                    for k in 0..<columns { out[base + k * rows + r] = x[base + r * columns + k] }
                }
            }
        }
        return out
    }
}
