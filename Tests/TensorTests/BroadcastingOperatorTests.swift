import Testing
@testable import Tensor

/// `Pow`, `PRelu`, the comparisons, `Where` and the variadic `Max`/`Min`/`Sum`/`Mean`.
@Suite struct BroadcastingOperatorTests {
    @Test func powForwardAndGradients() throws {
        let a = Tensor(shape: [2, 2], floats: [2, 3, 4, 0])
        #expect(isClose(try forward(Pow(), [a, Tensor(shape: [2], floats: [2, 0.5])])[0].floats, [4, 1.732_050_8, 16, 0]))
        // An integer exponent is read as float32.
        #expect(try forward(Pow(), [a, Tensor(shape: [], integers: [3])])[0].floats == [8, 27, 64, 0])
        expectInvalid("the base is int64") { _ = try forward(Pow(), [Tensor(shape: [1], integers: [2]), a]) }
        var random = TestRandom(seed: 30)
        let base = random.tensor([2, 3], in: 0.5...2), exponent = random.tensor([3], in: -2...2)
        try expectGradientMatchesFiniteDifferences(Pow(), [base, exponent], wrt: [0, 1])
        try expectReplicasMatchSeparatePasses(Pow(), [random.tensor([1, 3], in: 0.5...2), random.tensor([1, 3])], wrt: [0, 1])
        // PyTorch's conventions: no gradient through a zero exponent, nor to the exponent at a zero base.
        let zeros = try backward(Pow(), [Tensor(shape: [1], floats: [0]), Tensor(shape: [1], floats: [0])],
                                 gradient: .filled([1], with: 1), wrt: [0, 1])
        #expect(zeros.map(\.floats) == [[0], [0]])
    }

    @Test func preluBroadcastsItsSlope() throws {
        let x = Tensor(shape: [1, 2, 2], floats: [-1, 2, -3, 4])
        #expect(try forward(PRelu(), [x, Tensor(shape: [2, 1], floats: [0.5, 0.1])])[0].floats == [-0.5, 2, -0.3, 4])
        expectInvalid("does not broadcast to X's shape") { _ = try forward(PRelu(), [x, Tensor.zeros([3, 1])]) }
        var random = TestRandom(seed: 31)
        let input = random.awayFromZero([2, 3, 2, 2]), slope = random.tensor([3, 1, 1])
        try expectGradientMatchesFiniteDifferences(PRelu(), [input, slope], wrt: [0, 1])
        try expectReplicasMatchSeparatePasses(PRelu(), [random.awayFromZero([1, 3, 2, 2]), slope], wrt: [0])
        try expectReplicasUnsupported(PRelu(), [random.awayFromZero([1, 3, 2, 2]), slope], wrt: [1])
    }

    @Test func comparisonsMakeBooleans() throws {
        let a = Tensor(shape: [2, 2], floats: [1, 2, 3, 4]), b = Tensor(shape: [2], floats: [2, 2])
        let expected: [Comparison.Kind: [Int64]] = [
            .equal: [0, 1, 0, 0], .less: [1, 0, 0, 0], .lessOrEqual: [1, 1, 0, 0],
            .greater: [0, 0, 1, 1], .greaterOrEqual: [0, 1, 1, 1],
        ]
        for (kind, values) in expected {
            #expect(try forward(Comparison(kind), [a, b])[0] == Tensor(shape: [2, 2], integers: values, elementType: .bool))
        }
        let ints = Tensor(shape: [3], integers: [1, 5, 7])
        #expect(try forward(Comparison(.equal), [ints, Tensor(shape: [], integers: [5])])[0].integers == [0, 1, 0])
        expectInvalid("accepted: one element type") { _ = try forward(Comparison(.less), [a, ints]) }
        #expect(Comparison(.equal).differentiableInputs.isEmpty)
    }

    @Test func whereSelectsAndSplitsTheGradient() throws {
        let condition = Tensor(shape: [2, 1], integers: [1, 0], elementType: .bool)
        let x = Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]), y = Tensor(shape: [3], floats: [-1, -2, -3])
        #expect(try forward(Where(), [condition, x, y])[0].floats == [1, 2, 3, -1, -2, -3])
        let ints = try forward(Where(), [condition, Tensor(shape: [1], integers: [7]), Tensor(shape: [1], integers: [9])])[0]
        #expect(ints == Tensor(shape: [2, 1], integers: [7, 9]))
        expectInvalid("condition is float32") { _ = try forward(Where(), [x, x, y]) }
        try expectGradientMatchesFiniteDifferences(Where(), [condition, x, y], wrt: [1, 2])
        let gradients = try backward(Where(), [condition, x, y], gradient: .filled([2, 3], with: 1), wrt: [1, 2])
        #expect(gradients[0].floats == [1, 1, 1, 0, 0, 0] && gradients[1].floats == [1, 1, 1])
        let one = Tensor(shape: [1, 3], integers: [1, 0, 1], elementType: .bool)
        try expectReplicasMatchSeparatePasses(Where(), [one, Tensor(shape: [1, 3], floats: [1, 2, 3]), y], wrt: [1])
    }

    @Test func variadicReductionsBroadcast() throws {
        let a = Tensor(shape: [2, 2], floats: [1, 5, 3, 2]), b = Tensor(shape: [2], floats: [2, 4])
        let c = Tensor(shape: [], floats: [3])
        #expect(try forward(Variadic(.max, inputCount: 3), [a, b, c])[0].floats == [3, 5, 3, 4])
        #expect(try forward(Variadic(.min, inputCount: 3), [a, b, c])[0].floats == [1, 3, 2, 2])
        #expect(try forward(Variadic(.sum, inputCount: 3), [a, b, c])[0].floats == [6, 12, 8, 9])
        #expect(try forward(Variadic(.mean, inputCount: 2), [a, b])[0].floats == [1.5, 4.5, 2.5, 3])
        #expect(try forward(Variadic(.max, inputCount: 1), [a])[0] == a)
        let ints = Tensor(shape: [2], integers: [-4, 9])
        #expect(try forward(Variadic(.max, inputCount: 2), [ints, Tensor(shape: [1], integers: [0])])[0].integers == [0, 9])
        expectInvalid("accepted: all float32") { _ = try forward(Variadic(.mean, inputCount: 1), [ints]) }
        var random = TestRandom(seed: 32)
        // Values at least 0.05 apart across all inputs: no tie within a finite-difference step.
        let values = random.distinct([17]).floats
        let parts: [Tensor?] = [Tensor(shape: [2, 3], floats: Array(values[0..<6])), Tensor(shape: [3], floats: Array(values[6..<9])),
                                Tensor(shape: [2, 1], floats: Array(values[9..<11]))]
        let batch: [Tensor?] = [Tensor(shape: [1, 3], floats: Array(values[11..<14])), Tensor(shape: [1, 3], floats: Array(values[14...]))]
        for kind in Variadic.Kind.allCases {
            try expectGradientMatchesFiniteDifferences(Variadic(kind, inputCount: 3), parts, wrt: [0, 1, 2])
            try expectReplicasMatchSeparatePasses(Variadic(kind, inputCount: 2), batch, wrt: [0, 1])
        }
        // Three vectors of 2²¹ along different axes broadcast to 2⁶³ elements: refused, not a trap.
        let n = 1 << 21
        let axes: [Tensor?] = [Tensor.zeros([n, 1, 1]), Tensor.zeros([n, 1]), Tensor.zeros([n])]
        expectInvalid("broadcast to more elements than") { _ = try forward(Variadic(.sum, inputCount: 3), axes) }
        // Ties share the gradient evenly, as PyTorch's maximum does.
        let tied = try backward(Variadic(.max, inputCount: 2), [b, b], gradient: .filled([2], with: 1), wrt: [0, 1])
        #expect(tied.map(\.floats) == [[0.5, 0.5], [0.5, 0.5]])
    }
}
