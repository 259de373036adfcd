import Tensor

/// Class maps at a layer's resolution before ReLU and normalization: `count` planes of
/// `height x width`, row-major, one per target class.
public struct RawMaps: Sendable, Equatable {
    public let count: Int
    public let height: Int
    public let width: Int
    public var values: [Float]

    public init(count: Int, height: Int, width: Int, values: [Float]) {
        precondition(values.count == count * height * width)
        self.count = count
        self.height = height
        self.width = width
        self.values = values
    }

    /// `count` copies of this single map: a class-agnostic map for each of `count` classes.
    public func repeated(_ count: Int) -> RawMaps {
        precondition(self.count == 1)
        return RawMaps(count: count, height: height, width: width, values: Array(Array(repeating: values, count: count).joined()))
    }

    /// Plane `k`.
    public func plane(_ k: Int) -> ArraySlice<Float> {
        values[k * height * width ..< (k + 1) * height * width]
    }
}

/// A layer's activations for one image, `A [1, C, H, W]`, with the dimensions named.
struct LayerActivations {
    let channels: Int
    let height: Int
    let width: Int
    let values: [Float]
    var plane: Int { height * width }

    init(_ tensor: Tensor, layer: String) throws {
        guard tensor.rank == 4, tensor.shape[0] == 1, tensor.elementType == .float32 else {
            throw ExplainError.layerNotSpatial(layer, shape: tensor.shape)
        }
        channels = tensor.shape[1]
        height = tensor.shape[2]
        width = tensor.shape[3]
        values = tensor.floats
    }

    /// Planes `values [C, H, W]` computed from a layer's (weighted activations).
    init(channels: Int, height: Int, width: Int, values: [Float]) {
        precondition(values.count == channels * height * width)
        self.channels = channels
        self.height = height
        self.width = width
        self.values = values
    }

    /// `Σ_c weights[k, c] · A[c]` for each of the `K = weights.count / C` rows of `weights`.
    func weightedSum(_ weights: [Float]) -> RawMaps {
        let k = weights.count / channels
        var maps = [Float](repeating: 0, count: k * plane)
        weights.withUnsafeBufferPointer { w in
            values.withUnsafeBufferPointer { a in
                maps.withUnsafeMutableBufferPointer { m in
                    BLAS.gemm(m: k, n: plane, k: channels, a: w.baseAddress!, lda: channels,
                              b: a.baseAddress!, ldb: plane, c: m.baseAddress!, ldc: plane)
                }
            }
        }
        return RawMaps(count: k, height: height, width: width, values: maps)
    }
}
