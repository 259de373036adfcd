import Testing
@testable import Tensor

/// ReduceMean, ReduceSum, ReduceMax, ReduceL2, ReduceSumSquare and GlobalMaxPool.
@Suite struct ReduceTests {
    let x = Tensor(shape: [2, 3], floats: [1, -2, 3, 4, 5, -6])

    @Test func valuesAxesAndKeepDims() throws {
        #expect(try forward(Reduce(.sum, axes: [1]), [x])[0] == Tensor(shape: [2, 1], floats: [2, 3]))
        #expect(try forward(Reduce(.mean, axes: [0], keepDims: false), [x])[0] == Tensor(shape: [3], floats: [2.5, 1.5, -1.5]))
        #expect(try forward(Reduce(.max, axes: [-1], keepDims: false), [x])[0].floats == [3, 5])
        #expect(try forward(Reduce(.l2, axes: [0]), [x])[0].floats == [Float(17).squareRoot(), Float(29).squareRoot(), Float(45).squareRoot()])
        #expect(try forward(Reduce(.sumSquare), [x])[0] == Tensor(shape: [1, 1], floats: [91]))
        // Axes from input 1 (opset 18; ReduceSum 13); none: every axis, or nothing with noop_with_empty_axes.
        #expect(try forward(Reduce(.mean, keepDims: false), [x, Tensor(shape: [1], integers: [1])])[0].floats == [2.0 / 3, 1])
        #expect(try forward(Reduce(.sum, keepDims: false), [x, Tensor(shape: [0], integers: [])])[0] == Tensor(shape: [], floats: [5]))
        #expect(try forward(Reduce(.sum, noopWithEmptyAxes: true), [x, Tensor(shape: [0], integers: [])])[0] == x)
        expectInvalid("repeat an axis") { _ = try forward(Reduce(.sum, axes: [1, -1]), [x]) }
        expectInvalid("axis 2 is out of range") { _ = try forward(Reduce(.sum, axes: [2]), [x]) }
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        var random = TestRandom(seed: 92)
        let x = random.distinct([2, 3, 4])
        for kind in Reduce.Kind.allCases {
            for (axes, keep) in [([1], true), ([0, 2], false), ([], true), ([-1], false)] {
                try expectGradientMatchesFiniteDifferences(Reduce(kind, axes: axes, keepDims: keep), [x], wrt: [0])
            }
            try expectReplicasMatchSeparatePasses(Reduce(kind, axes: [2, 3]), [random.distinct([1, 3, 2, 2])], wrt: [0])
            try expectReplicasUnsupported(Reduce(kind, axes: [0]), [random.tensor([1, 3])], wrt: [0])
        }
    }

    @Test func maxSplitsTheGradientAmongTies() throws {
        let tied = Tensor(shape: [1, 4], floats: [2, 5, 5, 1])
        let dx = try backward(Reduce(.max, axes: [1]), [tied], gradient: Tensor(shape: [1, 1], floats: [6]), wrt: [0])[0]
        #expect(dx.floats == [0, 3, 3, 0])
    }

    @Test func globalMaxPool() throws {
        let x = Tensor(shape: [1, 2, 2, 2], floats: [1, 7, 7, 0, -3, -1, -2, -5])
        let op = GlobalMaxPool()
        #expect(try forward(op, [x])[0] == Tensor(shape: [1, 2, 1, 1], floats: [7, -1]))
        // The gradient goes to the first maximum, as MaxPool's.
        let dx = try backward(op, [x], gradient: Tensor(shape: [1, 2, 1, 1], floats: [1, 2]), wrt: [0])[0]
        #expect(dx.floats == [0, 1, 0, 0, 0, 2, 0, 0])
        var random = TestRandom(seed: 93)
        try expectGradientMatchesFiniteDifferences(op, [random.distinct([2, 3, 4])], wrt: [0])
        try expectReplicasMatchSeparatePasses(op, [random.distinct([1, 3, 2, 3])], wrt: [0])
        expectInvalid("no maximum") { _ = try forward(op, [Tensor.zeros([1, 2, 0, 3])]) }
    }
}
