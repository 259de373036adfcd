import Testing
@testable import Tensor

/// Slice, Split, Pad, Tile, Expand: forward values on small hand-checked cases, refusals
/// of hostile parameters before allocation, and VJPs against finite differences.
@Suite struct DataMovementTests {
    func int64(_ values: [Int]) -> Tensor { Tensor(shape: [values.count], integers: values.map(Int64.init)) }
    let x = Tensor(shape: [2, 5], floats: (0..<10).map(Float.init))

    @Test func sliceClampsAndCountsFromTheEnd() throws {
        func slice(_ starts: [Int], _ ends: [Int], _ axes: [Int]? = nil, _ steps: [Int]? = nil) throws -> Tensor {
            try forward(StridedSlice(), [x, int64(starts), int64(ends), axes.map(int64), steps.map(int64)])[0]
        }
        #expect(try slice([1], [4], [1]).floats == [1, 2, 3, 6, 7, 8])
        #expect(try slice([-3], [Int(Int64.max)], [-1]).floats == [2, 3, 4, 7, 8, 9])
        #expect(try slice([0, -100], [1, 100]).floats == [0, 1, 2, 3, 4])
        #expect(try slice([4], [0], [1], [-2]).floats == [4, 2, 9, 7])
        #expect(try slice([Int(Int64.max)], [Int(Int64.min)], [1], [-1]).floats == [4, 3, 2, 1, 0, 9, 8, 7, 6, 5])
        #expect(try slice([3], [1], [1]).shape == [2, 0])
        #expect(try forward(StridedSlice(.init(starts: [1], ends: [2])), [x])[0].floats == [5, 6, 7, 8, 9])
        #expect(try forward(StridedSlice(), [Tensor(shape: [4], integers: [1, 3, 224, 224]), int64([2]), int64([4])])[0]
                == Tensor(shape: [2], integers: [224, 224]))
        expectInvalid("steps must not be 0") { _ = try slice([0], [1], [0], [0]) }
        expectInvalid("repeat an axis") { _ = try slice([0, 0], [1, 1], [1, -1]) }
        expectInvalid("one entry per sliced axis") { _ = try slice([0, 0], [1]) }
    }

    /// A cut of one axis to consecutive coordinates (the whole-block copy, `AxisMaps.blocks`)
    /// and cuts of two axes or with a step (the general gather) against the coordinates read.
    @Test func slicesOfEveryAxisReadTheirCoordinates() throws {
        let shape = [2, 3, 4, 5], t = Tensor(shape: shape, floats: (0..<120).map(Float.init))
        for (starts, ends, axes, steps) in [([1], [3], [1], [1]), ([0], [1], [0], [1]), ([2], [5], [3], [1]),
                                            ([1], [4], [2], [1]), ([0], [4], [2], [1]), ([1, 0], [3, 2], [1, 3], [1, 1]),
                                            ([0], [5], [3], [2])] {
            let y = try forward(StridedSlice(), [t, int64(starts), int64(ends), int64(axes), int64(steps)])[0]
            var first = [0, 0, 0, 0], step = [1, 1, 1, 1], counts = shape
            for k in axes.indices {
                first[axes[k]] = starts[k]
                step[axes[k]] = steps[k]
                counts[axes[k]] = (ends[k] - starts[k] + steps[k] - 1) / steps[k]
            }
            var expected: [Float] = []
            for a in 0..<counts[0] { for b in 0..<counts[1] { for c in 0..<counts[2] { for d in 0..<counts[3] {
                let i = [a, b, c, d].enumerated().map { first[$0.offset] + $0.element * step[$0.offset] }
                expected.append(Float(((i[0] * 3 + i[1]) * 4 + i[2]) * 5 + i[3]))
            } } } }
            #expect(y.shape == counts && y.floats == expected, "slice \(starts)..<\(ends) of axes \(axes)")
        }
    }

    @Test func splitPieces() throws {
        let y = Tensor(shape: [7], floats: (0..<7).map(Float.init))
        #expect(try forward(Split(axis: 0, sizes: [2, 5], parts: 2, output: 1), [y])[0].floats == [2, 3, 4, 5, 6])
        #expect(try forward(Split(axis: 0, parts: 3, unevenLast: true, output: 2), [y])[0].floats == [6])
        #expect(try forward(Split(axis: 1, parts: 1, output: 0), [x])[0] == x)
        #expect(try forward(Split(axis: 0, parts: 2, output: 1), [y, int64([3, 4])])[0].floats == [3, 4, 5, 6])
        expectInvalid("does not split into 2 equal parts") { _ = try forward(Split(axis: 0, parts: 2, output: 0), [y]) }
        expectInvalid("adding up to 7") { _ = try forward(Split(axis: 0, sizes: [3, 3], parts: 2, output: 0), [y]) }
        expectInvalid("adding up to 7") { _ = try forward(Split(axis: 0, sizes: [-1, 8], parts: 2, output: 0), [y]) }
    }

    @Test func padModes() throws {
        let row = Tensor(shape: [1, 3], floats: [1, 2, 3])
        func pad(_ mode: Pad.Mode, _ pads: [Int], value: Float? = nil) throws -> [Float] {
            try forward(Pad(mode: mode), [row, int64(pads), value.map { Tensor(shape: [], floats: [$0]) }])[0].floats
        }
        #expect(try pad(.constant, [0, 2, 0, 1], value: 9) == [9, 9, 1, 2, 3, 9])
        #expect(try pad(.reflect, [0, 2, 0, 2]) == [3, 2, 1, 2, 3, 2, 1])
        #expect(try pad(.edge, [0, 2, 0, 1]) == [1, 1, 1, 2, 3, 3])
        #expect(try pad(.wrap, [0, 2, 0, 1]) == [2, 3, 1, 2, 3, 1])
        #expect(try pad(.constant, [0, -1, 0, 1]) == [2, 3, 0])
        #expect(try forward(Pad(pads: [1, 0, 0, 0], value: 7), [row])[0].floats == [7, 7, 7, 1, 2, 3])
        // Axes (opset 18): pads for the listed axes only.
        #expect(try forward(Pad(), [row, int64([1, 1]), nil, int64([-1])])[0].floats == [0, 1, 2, 3, 0])
        expectInvalid("2 entries per padded axis") { _ = try pad(.constant, [1, 1]) }
        expectInvalid("negative extent") { _ = try pad(.constant, [0, -3, 0, -1]) }
        expectInvalid("more than \(maximumComputedElements) elements") { _ = try pad(.constant, [1 << 14, 1 << 14, 1 << 14, 1 << 14]) }
        expectInvalid("exceed") { _ = try pad(.constant, [0, Int(Int64.max), 0, 0]) }
        expectInvalid("one float32 value") { _ = try forward(Pad(), [row, int64([0, 0, 0, 0]), Tensor(shape: [], integers: [1])]) }
    }

    /// Constant padding and cropping copy each row's run of input elements whole, with the
    /// fill around it: the same values as gathering element by element through the maps.
    @Test func paddedRowsEqualTheElementwiseGather() throws {
        var random = TestRandom(seed: 92)
        let x = random.tensor([2, 3, 5])
        // Padded at both ends; rows of fill only (axis 0); cropped; rows with no input left; none.
        for pads in [[0, 1, 2, 0, 2, 1], [1, 0, 0, 0, 1, 0], [0, 0, -2, 0, -1, 3], [0, 1, -5, 1, 0, 2], [0, 0, 0, 0, 0, 0]] {
            let inputs = [x, int64(pads), Tensor(shape: [], floats: [0.5])]
            let expected = try Pad().maps(x.shape, inputs).gather(x.floats, fill: 0.5)
            #expect(try forward(Pad(), inputs)[0].floats == expected, "pads \(pads)")
        }
    }

    @Test func tileAndExpand() throws {
        let column = Tensor(shape: [2, 1], floats: [1, 2])
        #expect(try forward(Tile(), [column, int64([2, 3])])[0] == Tensor(shape: [4, 3], floats: [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2]))
        #expect(try forward(Expand(), [column, int64([2, 1, 3])])[0].shape == [2, 2, 3])
        #expect(try forward(Expand(), [column, int64([1])])[0] == column)
        expectInvalid("cannot be broadcast") { _ = try forward(Expand(), [column, int64([3, 3])]) }
        expectInvalid("one per axis") { _ = try forward(Tile(), [column, int64([2])]) }
        expectInvalid("more than \(maximumComputedElements) elements") { _ = try forward(Tile(), [column, int64([1 << 20, 1 << 20])]) }
        expectInvalid("overflow") { _ = try forward(Tile(), [column, int64([Int(Int64.max), 1])]) }
        // An extent over the limit is refused even when another extent makes the count 0.
        expectInvalid("extent over") { _ = try forward(Expand(), [Tensor.zeros([0, 1]), int64([0, 1 << 40])]) }
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        var random = TestRandom(seed: 91)
        let x = random.tensor([2, 3, 4])
        let cases: [(any Operator, [Tensor?])] = [
            (StridedSlice(), [x, int64([1, -1]), int64([3, -100]), int64([1, 2]), int64([1, -2])]),
            (StridedSlice(), [x, int64([0]), int64([2]), int64([0])]),
            (Split(axis: 2, sizes: [1, 3], parts: 2, output: 1), [x]),
            (Split(axis: 1, parts: 3, output: 0), [x]),
            (Pad(mode: .constant), [x, int64([0, 1, 2, 0, 2, 1]), Tensor(shape: [], floats: [0.5])]),
            (Pad(mode: .constant), [x, int64([0, 0, -1, 0, 1, -1])]),
            (Pad(mode: .reflect), [x, int64([0, 2, 3, 0, 2, 3])]),
            (Pad(mode: .edge), [x, int64([1, 2, 0, 0, 1, 2])]),
            (Pad(mode: .wrap), [x, int64([0, 1, -1, 0, 4, 1])]),
            (Tile(), [x, int64([2, 1, 3])]),
            (Expand(), [random.tensor([3, 1]), int64([2, 3, 4])]),
            (Expand(), [random.tensor([2, 1, 4]), int64([2, 3, 4])]),
        ]
        for (op, inputs) in cases {
            try expectGradientMatchesFiniteDifferences(op, inputs, wrt: [0])
        }
        let one = random.tensor([1, 3, 4])
        for (op, inputs) in [
            (StridedSlice(), [one, int64([1]), int64([3]), int64([2])]),
            (Pad(mode: .reflect), [one, int64([0, 1, 2, 0, 1, 2])]),
            (Tile(), [one, int64([1, 2, 2])]),
            (Split(axis: 1, parts: 3, output: 2), [one]),
            (Expand(), [random.tensor([1, 3, 1]), int64([1, 3, 4])]),
        ] as [(any Operator, [Tensor?])] {
            try expectReplicasMatchSeparatePasses(op, inputs, wrt: [0])
        }
        // Replicas stack along axis 0, so it must stay the batch of 1, read as is.
        try expectReplicasUnsupported(StridedSlice(), [x, int64([1]), int64([2]), int64([0])], wrt: [0])
        try expectReplicasUnsupported(Pad(), [one, int64([1, 0, 0, -1, 0, 0])], wrt: [0])
        try expectReplicasUnsupported(Expand(), [random.tensor([3, 4]), int64([1, 3, 4])], wrt: [0])
    }
}
