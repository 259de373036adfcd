/// How ONNX derives padding for a sliding window (`auto_pad`).
public enum AutoPad: String, Sendable, Hashable {
    /// Use the explicit `pads`.
    case notSet = "NOTSET"
    /// Pad so that `out = ceil(in / stride)`; an odd total puts the extra cell at the end.
    case sameUpper = "SAME_UPPER"
    /// As `sameUpper`, with the extra cell at the beginning.
    case sameLower = "SAME_LOWER"
    /// No padding.
    case valid = "VALID"
}

/// Sliding-window attributes shared by `Conv`, `MaxPool` and `AveragePool`, for 1-D or
/// 2-D spatial inputs (a 1-D input `[N, C, W]` is handled as `[N, C, 1, W]`).
public struct Window: Sendable, Hashable {
    /// Number of spatial dimensions, 1 or 2.
    public private(set) var spatialRank: Int
    public private(set) var kernel: (height: Int, width: Int)
    public private(set) var strides: (height: Int, width: Int)
    public private(set) var dilations: (height: Int, width: Int)
    /// Explicit padding: (top, left, bottom, right).
    public private(set) var pads: (top: Int, left: Int, bottom: Int, right: Int)
    public private(set) var autoPad: AutoPad
    /// Pooling only: count a partial window at the end (`ceil` instead of `floor`).
    public private(set) var ceilMode: Bool

    /// Builds a window from ONNX-style attribute lists, each of `spatialRank` entries
    /// (`pads` has `2 * spatialRank`: all beginnings, then all ends). Empty lists take
    /// the ONNX defaults (strides and dilations 1, pads 0).
    public init(
        kernel: [Int], strides: [Int] = [], dilations: [Int] = [], pads: [Int] = [],
        autoPad: AutoPad = .notSet, ceilMode: Bool = false, op: String
    ) throws {
        let rank = kernel.count
        guard rank == 1 || rank == 2 else {
            throw EngineError.invalid(op: op, "only 1-D and 2-D windows are supported, got kernel \(kernel)")
        }
        func list(_ values: [Int], _ count: Int, default value: Int, _ name: String) throws -> [Int] {
            if values.isEmpty { return Array(repeating: value, count: count) }
            guard values.count == count else {
                throw EngineError.invalid(op: op, "\(name) has \(values.count) entries, expected \(count)")
            }
            return values
        }
        let s = try list(strides, rank, default: 1, "strides")
        let d = try list(dilations, rank, default: 1, "dilations")
        let p = try list(pads, 2 * rank, default: 0, "pads")
        guard kernel.allSatisfy({ $0 >= 1 }), s.allSatisfy({ $0 >= 1 }), d.allSatisfy({ $0 >= 1 }),
              p.allSatisfy({ $0 >= 0 }) else {
            throw EngineError.invalid(op: op, "kernel, strides and dilations must be >= 1 and pads >= 0")
        }
        // The model's values: bounded, so that the extents computed from them cannot overflow.
        guard (kernel + s + d + p).allSatisfy({ $0 <= maximumComputedElements }) else {
            throw EngineError.invalid(op: op, "kernel \(kernel), strides \(s), dilations \(d) and pads \(p) must be at most \(maximumComputedElements)")
        }
        spatialRank = rank
        if rank == 1 {
            self.kernel = (1, kernel[0])
            self.strides = (1, s[0])
            self.dilations = (1, d[0])
            self.pads = (0, p[0], 0, p[1])
        } else {
            self.kernel = (kernel[0], kernel[1])
            self.strides = (s[0], s[1])
            self.dilations = (d[0], d[1])
            self.pads = (p[0], p[1], p[2], p[3])
        }
        self.autoPad = autoPad
        self.ceilMode = ceilMode
    }

    public static func == (a: Window, b: Window) -> Bool {
        a.spatialRank == b.spatialRank && a.kernel == b.kernel && a.strides == b.strides
            && a.dilations == b.dilations && a.pads == b.pads && a.autoPad == b.autoPad && a.ceilMode == b.ceilMode
    }

    public func hash(into hasher: inout Hasher) {
        for v in [spatialRank, kernel.height, kernel.width, strides.height, strides.width, dilations.height,
                  dilations.width, pads.top, pads.left, pads.bottom, pads.right] { hasher.combine(v) }
        hasher.combine(autoPad)
        hasher.combine(ceilMode)
    }

    /// A copy with other dilations and explicit padding `(top, left, bottom, right)`
    /// (used to dilate a network).
    public func with(dilations: (height: Int, width: Int), pads: (top: Int, left: Int, bottom: Int, right: Int)) -> Window {
        var copy = self
        copy.dilations = dilations
        copy.pads = pads
        copy.autoPad = .notSet
        return copy
    }

    /// The input shape seen as `[N, C, H, W]`; throws if the rank does not match.
    public func planar(_ shape: [Int], op: String) throws -> (n: Int, c: Int, h: Int, w: Int) {
        guard shape.count == spatialRank + 2 else {
            throw EngineError.invalid(op: op, "expected a rank-\(spatialRank + 2) input, got shape \(shape)")
        }
        return spatialRank == 1 ? (shape[0], shape[1], 1, shape[2]) : (shape[0], shape[1], shape[2], shape[3])
    }

    /// The output's spatial shape for an `[N, C, ...]` shape in this window's rank.
    public func outputSpatialShape(_ geometry: WindowGeometry) -> [Int] {
        spatialRank == 1 ? [geometry.outW] : [geometry.outH, geometry.outW]
    }

    /// The output's shape, `[batch, channels]` then `outputSpatialShape`, refused before anything
    /// is allocated when it has more than `maximumComputedElements` elements (pads and strides
    /// come from the model).
    public func outputShape(batch: Int, channels: Int, _ geometry: WindowGeometry, op: String) throws -> [Int] {
        let shape = [batch, channels] + outputSpatialShape(geometry)
        _ = try checkedCount(shape, op: op)
        return shape
    }

    /// Resolves padding and output size for an input of `height x width`.
    public func geometry(height: Int, width: Int, op: String) throws -> WindowGeometry {
        let (top, bottom, outH) = try resolve(height, kernel.height, strides.height, dilations.height, pads.top, pads.bottom, op)
        let (left, right, outW) = try resolve(width, kernel.width, strides.width, dilations.width, pads.left, pads.right, op)
        return WindowGeometry(
            kernelH: kernel.height, kernelW: kernel.width, strideH: strides.height, strideW: strides.width,
            dilationH: dilations.height, dilationW: dilations.width, padTop: top, padLeft: left,
            padBottom: bottom, padRight: right, inH: height, inW: width, outH: outH, outW: outW)
    }

    private func resolve(
        _ size: Int, _ k: Int, _ s: Int, _ d: Int, _ begin: Int, _ end: Int, _ op: String
    ) throws -> (Int, Int, Int) {
        let span = (k - 1) * d + 1
        var padBegin = begin, padEnd = end
        switch autoPad {
        case .notSet: break
        case .valid: padBegin = 0; padEnd = 0
        case .sameUpper, .sameLower:
            let out = (size + s - 1) / s
            let total = max(0, (out - 1) * s + span - size)
            padBegin = autoPad == .sameUpper ? total / 2 : total - total / 2
            padEnd = total - padBegin
        }
        let padded = size + padBegin + padEnd
        guard padded >= span else {
            throw EngineError.invalid(op: op, "window of extent \(span) does not fit input extent \(size) with padding \(padBegin)+\(padEnd)")
        }
        var out: Int
        if ceilMode {
            out = (padded - span + s - 1) / s + 1
            // The last window must start inside the input or its leading padding.
            if (out - 1) * s >= size + padBegin { out -= 1 }
        } else {
            out = (padded - span) / s + 1
        }
        return (padBegin, padEnd, out)
    }
}

/// A window resolved for one input size: everything a kernel loop needs.
public struct WindowGeometry: Sendable, Hashable {
    public let kernelH, kernelW, strideH, strideW, dilationH, dilationW: Int
    public let padTop, padLeft, padBottom, padRight: Int
    public let inH, inW, outH, outW: Int
}
