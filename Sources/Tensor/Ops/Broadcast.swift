/// Numpy ("multidirectional") broadcasting: shapes are aligned at the right and each
/// dimension pair must be equal or contain a 1.
enum Broadcast {
    /// The shape `a` and `b` broadcast to. Its element count is checked: operands that
    /// each fit in memory can broadcast to more elements than `Int` holds (three vectors
    /// of 2²¹ along different axes make 2⁶³), and every later `count` would trap.
    static func shape(_ a: [Int], _ b: [Int], op: String) throws -> [Int] {
        let rank = max(a.count, b.count)
        var count = 1
        return try (0..<rank).map { i in
            let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            guard x == y || x == 1 || y == 1 else {
                throw EngineError.invalid(op: op, "shapes \(a) and \(b) cannot be broadcast together")
            }
            let extent = x == 1 ? y : x
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else {
                throw EngineError.invalid(op: op, "shapes \(a) and \(b) broadcast to more elements than \(Int.max)")
            }
            count = product
            return extent
        }
    }

    /// `Σ f(dy, u, v)` over the dimensions along which `target` is broadcast to `dy`'s
    /// shape: the VJP of a broadcasting binary operator. `u` and `v` are forward values
    /// whose shapes broadcast to `dy`'s (nil: unused). Sums are accumulated in Double.
    static func reduce(
        _ dy: Tensor, to target: [Int], _ u: Tensor? = nil, _ v: Tensor? = nil,
        _ f: (Float, Float, Float) -> Float
    ) -> Tensor {
        let none = Tensor(shape: [], floats: [0])
        let u = u ?? none, v = v ?? none
        var result = Tensor.zeros(target)
        guard dy.count > 0 else { return result }
        let dyShape = dy.shape
        let loop = BroadcastLoop(shape: dy.shape, operands: [target, u.shape, v.shape])
        dy.floats.withUnsafeBufferPointer { dyp in
            u.floats.withUnsafeBufferPointer { up in
                v.floats.withUnsafeBufferPointer { vp in
                    result.floats.withUnsafeMutableBufferPointer { rp in
                        let dy = dyp.baseAddress!, u = up.baseAddress!, v = vp.baseAddress!, r = rp.baseAddress!
                        if target == dyShape {
                            // No reduction: every result element is written once.
                            loop.forEachRun { start, count, offsets, steps in
                                for i in 0..<count {
                                    r[start + i] = f(dy[start + i], u[offsets[1] + i * steps[1]], v[offsets[2] + i * steps[2]])
                                }
                            }
                            return
                        }
                        var sums = [Double](repeating: 0, count: rp.count)
                        sums.withUnsafeMutableBufferPointer { sp in
                            let s = sp.baseAddress!
                            loop.forEachRun { start, count, offsets, steps in
                                for i in 0..<count {
                                    s[offsets[0] + i * steps[0]] += Double(
                                        f(dy[start + i], u[offsets[1] + i * steps[1]], v[offsets[2] + i * steps[2]]))
                                }
                            }
                        }
                        for i in 0..<rp.count { r[i] = Float(sums[i]) }
                    }
                }
            }
        }
        return result
    }
}

/// Visits a contiguous result of `shape` in runs along its innermost dimension while
/// tracking the offsets of up to four operands whose shapes broadcast to it.
///
/// Dimensions of extent 1 are dropped and neighbouring dimensions that every operand
/// walks contiguously are merged, so `[N, C, H, W] + [C, 1, 1]` runs over `H·W` at a time.
struct BroadcastLoop {
    /// Merged extents, outermost first.
    private var extents: [Int] = []
    /// For each merged dimension, each operand's stride (0 where it is broadcast).
    private var strides: [SIMD4<Int>] = []
    private let isEmpty: Bool

    init(shape: [Int], operands: [[Int]]) {
        precondition(operands.count <= 4, "at most four operands")
        isEmpty = shape.contains(0)
        let rank = shape.count
        var running = SIMD4<Int>(repeating: 1)
        // Innermost first while building.
        var merged: [(extent: Int, stride: SIMD4<Int>)] = []
        for axis in stride(from: rank - 1, through: 0, by: -1) {
            var step = SIMD4<Int>(repeating: 0)
            for (k, operand) in operands.enumerated() {
                let i = axis - (rank - operand.count)
                let size = i >= 0 ? operand[i] : 1
                if size != 1 { step[k] = running[k] }
                running[k] *= size
            }
            guard shape[axis] != 1 else { continue }
            if let last = merged.last, step == last.stride &* last.extent {
                merged[merged.count - 1].extent *= shape[axis]
            } else {
                merged.append((shape[axis], step))
            }
        }
        extents = merged.reversed().map(\.extent)
        strides = merged.reversed().map(\.stride)
    }

    /// The extent of the outermost merged dimension around the runs (1 when there is only
    /// one run): `forEachRun(outermost:)` visits a range of it, so threads can share the loop.
    var outermost: Int { extents.count > 1 ? extents[0] : 1 }

    /// Calls `body(start, count, offsets, steps)` for each run: result elements
    /// `start ..< start + count`, operand `k`'s elements `offsets[k] + i · steps[k]`; only
    /// the runs whose outermost index is in `range` when it is given.
    func forEachRun(outermost range: Range<Int>? = nil, _ body: (Int, Int, SIMD4<Int>, SIMD4<Int>) -> Void) {
        if isEmpty || range?.isEmpty == true { return }
        guard let inner = extents.last, let innerSteps = strides.last else {
            body(0, 1, .zero, .zero)
            return
        }
        let outerRank = extents.count - 1
        var index = [Int](repeating: 0, count: outerRank)
        var offsets = SIMD4<Int>.zero
        var start = 0
        var end = outerRank > 0 ? extents[0] : 1
        if let range, outerRank > 0 {
            index[0] = range.lowerBound
            offsets = strides[0] &* range.lowerBound
            start = range.lowerBound * extents[1...].reduce(1, *)
            end = range.upperBound
        }
        while true {
            body(start, inner, offsets, innerSteps)
            start += inner
            var d = outerRank - 1
            while d >= 0 {
                index[d] += 1
                offsets &+= strides[d]
                if index[d] < extents[d] { break }
                offsets &-= strides[d] &* extents[d]
                index[d] = 0
                d -= 1
            }
            if d < 0 || (outerRank > 0 && index[0] == end) { return }
        }
    }
}
