import Imaging

/// A class map normalized to [0, 1] at some resolution, row-major.
public struct Heatmap: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var values: [Float]
    /// True when the map carries no signal (it was all zero, or constant, after the ReLU);
    /// `values` are then all zero. Never NaN.
    public let isZero: Bool

    /// Normalizes a raw map as pytorch-grad-cam does: `m = ReLU(raw)`, then
    /// `(m − min m) / (max(m − min m) + 1e-7)`. A map without range, or with a non-finite
    /// value, becomes zeros with `isZero` set.
    public init<C: Collection>(raw: C, width: Int, height: Int) where C.Element == Float {
        precondition(raw.count == width * height)
        self.width = width
        self.height = height
        let rectified = raw.map { max($0, 0) }
        let lo = rectified.min() ?? 0, hi = rectified.max() ?? 0
        let range = hi - lo
        if !(range > 0) || !range.isFinite || rectified.contains(where: { !$0.isFinite }) {
            values = [Float](repeating: 0, count: width * height)
            isZero = true
        } else {
            let scale = 1 / (range + 1e-7)
            values = rectified.map { ($0 - lo) * scale }
            isZero = false
        }
    }

    /// A map already normalized (the `map` of a JSON document), kept exactly as given: a
    /// document's map reproduces the document's box. `isZero` when every value is 0.
    public init(normalized values: [Float], width: Int, height: Int) {
        precondition(values.count == width * height)
        self.width = width
        self.height = height
        self.values = values
        isZero = !values.contains { $0 != 0 }
    }

    /// The mean of several layers' maps, each resized (bilinear) to the finest of them,
    /// normalized again (pytorch-grad-cam's `aggregate_multi_layers`).
    public static func fused(_ maps: [Heatmap]) -> Heatmap {
        guard maps.count > 1, let finest = maps.max(by: { $0.width * $0.height < $1.width * $1.height }) else {
            return maps[0]
        }
        var sum = [Float](repeating: 0, count: finest.width * finest.height)
        for map in maps {
            let resized = map.plane.resized(width: finest.width, height: finest.height)
            for i in sum.indices { sum[i] += max(resized.values[i], 0) }
        }
        return Heatmap(raw: sum.map { $0 / Float(maps.count) }, width: finest.width, height: finest.height)
    }

    /// The map resized (bilinear, half-pixel centres, as `cv2.resize`) to `width x height`
    /// and min-max normalized again, as pytorch-grad-cam returns its maps at the input size
    /// (`scale_cam_image` after `aggregate_multi_layers`). A zero map stays zero.
    public func upsampled(width: Int, height: Int) -> FloatPlane {
        let resized = plane.resized(width: width, height: height)
        guard !isZero else { return resized }
        return FloatPlane(width: width, height: height, values: Heatmap(raw: resized.values, width: width, height: height).values)
    }

    /// The map as an imaging plane.
    public var plane: FloatPlane { FloatPlane(width: width, height: height, values: values) }
}
