import Testing
@testable import Tensor

@Suite struct ArithmeticTests {
    /// Shape pairs covering equal shapes, trailing and leading broadcasts, scalars and both-sided broadcasts.
    let shapes: [([Int], [Int])] = [
        ([2, 3], [2, 3]), ([2, 3, 4], [4]), ([2, 3, 4], [3, 1]), ([2, 3, 4], []), ([1, 3, 1, 2], [2, 1, 4, 1]),
        ([3], [2, 3, 1]), ([2, 1], [1, 3]),
    ]

    @Test func forwardBroadcastsLikeNumpy() throws {
        let a = Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        let column = Tensor(shape: [2, 1], floats: [10, 20]), row = Tensor(shape: [3], floats: [1, 2, 4])
        #expect(try forward(Arithmetic(.add), [a, column])[0].floats == [11, 12, 13, 24, 25, 26])
        #expect(try forward(Arithmetic(.sub), [a, row])[0].floats == [0, 0, -1, 3, 3, 2])
        #expect(try forward(Arithmetic(.mul), [column, row])[0] == Tensor(shape: [2, 3], floats: [10, 20, 40, 20, 40, 80]))
        #expect(try forward(Arithmetic(.div), [a, Tensor(shape: [], floats: [2])])[0].floats == [0.5, 1, 1.5, 2, 2.5, 3])
        #expect(try forward(Arithmetic(.div), [row, a])[0].floats == [1, 1, 4.0 / 3, 0.25, 0.4, 4.0 / 6])
    }

    @Test func largeEqualShapesSplitAmongThreads() throws {
        var random = TestRandom(seed: 60)
        let a = random.tensor([3, 50_000]), b = random.tensor([3, 50_000], in: 1...2)
        for kind in Arithmetic.Kind.allCases {
            #expect(try forward(Arithmetic(kind), [a, b], threads: 2) == forward(Arithmetic(kind), [a, b]))
        }
    }

    /// Broadcasts big enough to share among threads (a channels-last bias, a per-channel scale,
    /// a 3-D merge) against each element computed from its operands' coordinates.
    @Test func largeBroadcastsSplitAmongThreads() throws {
        var random = TestRandom(seed: 62)
        for (aShape, bShape) in [([1, 40, 40, 96], [96]), ([1, 96, 20, 20], [1, 96, 1, 1]), ([6, 1, 50, 90], [7, 1, 90])] {
            let a = random.tensor(aShape), b = random.tensor(bShape, in: 1...2)
            let shape = try Broadcast.shape(aShape, bShape, op: "test")
            for kind in Arithmetic.Kind.allCases {
                let y = try forward(Arithmetic(kind), [a, b], threads: 2)[0]
                #expect(y == (try forward(Arithmetic(kind), [a, b])[0]) && y.shape == shape)
                // Every seventh element from its coordinates, read from each operand where it varies.
                for i in stride(from: 0, to: y.count, by: 7) {
                    var offsets = (0, 0), stridesA = 1, stridesB = 1, rest = i
                    for d in stride(from: shape.count - 1, through: 0, by: -1) {
                        let coordinate = rest % shape[d]
                        rest /= shape[d]
                        let da = d - (shape.count - a.rank), db = d - (shape.count - b.rank)
                        if da >= 0, a.shape[da] > 1 { offsets.0 += coordinate * stridesA }
                        if db >= 0, b.shape[db] > 1 { offsets.1 += coordinate * stridesB }
                        if da >= 0 { stridesA *= a.shape[da] }
                        if db >= 0 { stridesB *= b.shape[db] }
                    }
                    let u = a.floats[offsets.0], v = b.floats[offsets.1]
                    let expected: Float = switch kind {
                    case .add: u + v
                    case .sub: u - v
                    case .mul: u * v
                    case .div: u / v
                    }
                    guard y.floats[i] == expected else {
                        Issue.record("\(kind) of \(aShape) and \(bShape): element \(i) is \(y.floats[i]), not \(expected)")
                        break
                    }
                }
            }
        }
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        var random = TestRandom(seed: 61)
        for kind in Arithmetic.Kind.allCases {
            for (a, b) in shapes {
                // Divisors stay away from 0.
                let inputs: [Tensor?] = [random.tensor(a), random.tensor(b, in: 0.5...1.5)]
                try expectGradientMatchesFiniteDifferences(Arithmetic(kind), inputs, wrt: [0, 1])
                try expectGradientMatchesFiniteDifferences(Arithmetic(kind), inputs, wrt: [1])
            }
        }
    }

    @Test func replicasWhenBothInputsHaveTheBatchDimension() throws {
        var random = TestRandom(seed: 62)
        for kind in Arithmetic.Kind.allCases {
            let same: [Tensor?] = [random.tensor([1, 2, 3]), random.tensor([1, 2, 3], in: 0.5...1.5)]
            try expectReplicasMatchSeparatePasses(Arithmetic(kind), same, wrt: [0, 1])
            let bias: [Tensor?] = [random.tensor([1, 2, 3]), random.tensor([1, 2, 1], in: 0.5...1.5)]
            try expectReplicasMatchSeparatePasses(Arithmetic(kind), bias, wrt: [0, 1])
            // A lower-rank input has no dimension for the replicas.
            let lower: [Tensor?] = [random.tensor([1, 2, 3]), random.tensor([3], in: 0.5...1.5)]
            try expectReplicasMatchSeparatePasses(Arithmetic(kind), lower, wrt: [0])
            try expectReplicasUnsupported(Arithmetic(kind), lower, wrt: [1])
        }
    }

    @Test func integerArithmeticForShapes() throws {
        let a = Tensor(shape: [3], integers: [7, -7, 9]), b = Tensor(shape: [], integers: [2])
        #expect(try forward(Arithmetic(.add), [a, b])[0] == Tensor(shape: [3], integers: [9, -5, 11]))
        #expect(try forward(Arithmetic(.sub), [a, b])[0].integers == [5, -9, 7])
        #expect(try forward(Arithmetic(.mul), [a, b])[0].integers == [14, -14, 18])
        // Truncation toward zero, as onnxruntime.
        #expect(try forward(Arithmetic(.div), [a, b])[0].integers == [3, -3, 4])
        expectInvalid("integer division by zero") { _ = try forward(Arithmetic(.div), [a, Tensor(shape: [], integers: [0])]) }
    }

    @Test func badInputsAreRejected() {
        let floats = Tensor.zeros([2, 3])
        expectInvalid("cannot be broadcast together") { _ = try forward(Arithmetic(.add), [floats, Tensor.zeros([2])]) }
        expectInvalid("accepted: both float32 or both int64") {
            _ = try forward(Arithmetic(.mul), [floats, Tensor(shape: [], integers: [1])])
        }
        let flags = Tensor(shape: [1], integers: [1], elementType: .bool)
        expectInvalid("accepted: both float32 or both int64") { _ = try forward(Arithmetic(.add), [flags, flags]) }
        expectInvalid("input 1 is required") { _ = try forward(Arithmetic(.sub), [floats]) }
    }
}
