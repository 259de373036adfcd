/// A data-movement operator described axis by axis: output coordinate `o` along axis `d`
/// reads input coordinate `maps[d][o]`, or the fill value where that is −1. `Slice`,
/// `Pad`, `Tile` and `Expand` are such operators; their VJP scatters `dY` back through
/// the same maps, accumulating where several outputs read one input.
struct AxisMaps {
    /// The input's shape, at the output's rank (leading extents of 1 for `Expand`).
    let inputShape: [Int]
    /// One map per axis; its length is the output's extent along that axis.
    let maps: [[Int]]

    var outputShape: [Int] { maps.map(\.count) }

    /// Maps for an input of `inputShape` whose output extents are checked first (each map
    /// is made only once its length is known to be allowed).
    init(inputShape: [Int], outputShape: [Int], op: String, _ map: (_ axis: Int, _ o: Int) -> Int) throws {
        _ = try checkedCount(outputShape, op: op)
        self.inputShape = inputShape
        maps = outputShape.enumerated().map { axis, extent in (0..<extent).map { map(axis, $0) } }
    }

    /// Calls `body(input offset of the row or nil if it is all fill, output offset, the last axis's map)`
    /// for each row of the output along its last axis.
    private func forEachRow(_ body: (Int?, Int, [Int]) -> Void) {
        let rank = maps.count
        guard rank > 0 else {
            body(0, 0, [0])
            return
        }
        let output = outputShape
        guard !output.contains(0) else { return }
        var strides = [Int](repeating: 1, count: rank)
        for d in stride(from: rank - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * inputShape[d + 1] }
        let inner = maps[rank - 1], rowLength = output[rank - 1]
        var index = [Int](repeating: 0, count: rank - 1)
        var row = 0
        while true {
            var offset: Int? = 0
            for d in 0..<(rank - 1) {
                let m = maps[d][index[d]]
                if m < 0 { offset = nil; break }
                offset! += m * strides[d]
            }
            body(offset, row * rowLength, inner)
            row += 1
            var d = rank - 2
            while d >= 0 {
                index[d] += 1
                if index[d] < output[d] { break }
                index[d] = 0
                d -= 1
            }
            if d < 0 { return }
        }
    }

    /// When the last axis's map reads one run of consecutive input coordinates between fills
    /// (constant padding or cropping, a step-1 slice): `lead` fills, then `count` elements from
    /// input coordinate `start`, then fills to the row's end.
    private var innerRun: (lead: Int, start: Int, count: Int)? {
        guard let inner = maps.last else { return nil }
        guard let lead = inner.firstIndex(where: { $0 >= 0 }) else { return (inner.count, 0, 0) }
        let start = inner[lead]
        var count = 1
        while lead + count < inner.count, inner[lead + count] == start + count { count += 1 }
        guard inner[(lead + count)...].allSatisfy({ $0 < 0 }) else { return nil }
        return (lead, start, count)
    }

    /// The output's elements gathered from `source` (the input's elements).
    func gather<T>(_ source: [T], fill: T) -> [T] {
        var result = [T](repeating: fill, count: outputShape.reduce(1, *))
        source.withUnsafeBufferPointer { x in
            result.withUnsafeMutableBufferPointer { y in
                forEachRow { offset, start, inner in
                    guard let offset else { return }
                    for (o, m) in inner.enumerated() where m >= 0 { y[start + o] = x[offset + m] }
                }
            }
        }
        return result
    }

    /// `dX`: each element of `gradient` (shaped like the output, or `replicas` stacked
    /// copies of it) added to the input element it was read from.
    func scatter(_ gradient: Tensor, op: String) throws -> Tensor {
        let replicas = try replicaCount(gradient, output: outputShape, op: op)
        if replicas > 1 {
            // Replicas stack along axis 0, which must be the batch of 1 that the output keeps.
            guard maps.first == [0] else { throw EngineError.replicasUnsupported(op: op) }
        }
        var dx = Tensor.zeros(try replicated(inputShape, replicas, op: op))
        let inCount = inputShape.reduce(1, *), outCount = outputShape.reduce(1, *)
        let run = innerRun
        gradient.floats.withUnsafeBufferPointer { dy in
            dx.floats.withUnsafeMutableBufferPointer { dxp in
                for replica in 0..<replicas {
                    let inBase = replica * inCount, outBase = replica * outCount
                    forEachRow { offset, start, inner in
                        guard let offset else { return }
                        if let run {
                            let from = outBase + start + run.lead, to = inBase + offset + run.start
                            for o in 0..<run.count { dxp[to + o] += dy[from + o] }
                        } else {
                            for (o, m) in inner.enumerated() where m >= 0 { dxp[inBase + offset + m] += dy[outBase + start + o] }
                        }
                    }
                }
            }
        }
        return dx
    }

    /// When the maps cut at most one axis `d` to a run of consecutive coordinates and keep
    /// every other axis whole (a `Split`, most `Slice`s): the output is `outer = Π shape[..<d]`
    /// blocks of `length = count_d · Π shape[(d+1)...]` consecutive input elements, block `b`
    /// starting at `b · stride + offset` with `stride = Π inputShape[d...]`.
    var blocks: (outer: Int, length: Int, stride: Int, offset: Int)? {
        guard !maps.isEmpty, maps.count == inputShape.count else { return nil }
        let cut = maps.indices.filter { maps[$0] != Array(0..<inputShape[$0]) }
        guard cut.count <= 1 else { return nil }
        let d = cut.first ?? 0, map = maps[d]
        guard let first = map.first, first >= 0, map == Array(first..<(first + map.count)) else { return nil }
        let inner = extent(inputShape, (d + 1)..<inputShape.count)
        return (extent(inputShape, 0..<d), map.count * inner, inputShape[d] * inner, first * inner)
    }

    /// The output tensor for `x`: floats, or integers of `x`'s element type, with the
    /// first element of `fill` (a tensor of `x`'s element type; 0 when nil) where a map says −1.
    /// Float blocks (`blocks`) are copied whole into `output`'s own storage, and so are float
    /// rows whose last axis is one run (`innerRun`: a constant `Pad`'s rows), with the fill
    /// around it.
    func apply(_ x: Tensor, fill: Tensor? = nil, into output: inout Tensor) {
        if x.elementType == .float32, let blocks {
            output.reset(shape: outputShape)
            x.floats.withUnsafeBufferPointer { xp in
                output.floats.withUnsafeMutableBufferPointer { yp in
                    guard let source = xp.baseAddress, let target = yp.baseAddress else { return }
                    for b in 0..<blocks.outer {
                        (target + b * blocks.length).update(from: source + b * blocks.stride + blocks.offset, count: blocks.length)
                    }
                }
            }
        } else if x.elementType == .float32, let run = innerRun {
            output.reset(shape: outputShape)
            let value = fill?.floats.first ?? 0
            x.floats.withUnsafeBufferPointer { xp in
                output.floats.withUnsafeMutableBufferPointer { yp in
                    guard let target = yp.baseAddress else { return }
                    forEachRow { offset, start, inner in
                        let row = target + start
                        guard let offset, run.count > 0, let source = xp.baseAddress else {
                            row.update(repeating: value, count: inner.count)
                            return
                        }
                        row.update(repeating: value, count: run.lead)
                        (row + run.lead).update(from: source + offset + run.start, count: run.count)
                        (row + run.lead + run.count).update(repeating: value, count: inner.count - run.lead - run.count)
                    }
                }
            }
        } else if x.elementType == .float32 {
            output.reset(shape: outputShape)
            output.floats = gather(x.floats, fill: fill?.floats.first ?? 0)
        } else {
            output.reset(shape: outputShape, integers: gather(x.integers, fill: fill?.integers.first ?? 0), elementType: x.elementType)
        }
    }
}
