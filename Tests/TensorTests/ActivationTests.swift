import Testing
@testable import Tensor

@Suite struct ActivationTests {
    @Test func reluGradientMatchesFiniteDifferences() throws {
        var random = TestRandom(seed: 10)
        let x = random.awayFromZero([2, 3, 4])
        try expectGradientMatchesFiniteDifferences(Relu(), [x], wrt: [0])
        try expectReplicasMatchSeparatePasses(Relu(), [random.awayFromZero([1, 3, 4])], wrt: [0])
    }

    @Test func leakyReluForwardAndGradient() throws {
        let y = try forward(LeakyRelu(alpha: 0.1), [Tensor(shape: [4], floats: [-2, -0.5, 0, 3])])[0]
        #expect(y.floats == [-0.2, -0.05, 0, 3])
        var random = TestRandom(seed: 11)
        for alpha: Float in [0.01, 0.2, -0.5] {
            try expectGradientMatchesFiniteDifferences(LeakyRelu(alpha: alpha), [random.awayFromZero([2, 3, 5])], wrt: [0])
        }
        try expectReplicasMatchSeparatePasses(LeakyRelu(alpha: 0.2), [random.awayFromZero([1, 2, 5])], wrt: [0])
    }

    @Test func sigmoidIsStableAndDifferentiable() throws {
        let y = try forward(Sigmoid(), [Tensor(shape: [5], floats: [-200, -1, 0, 1, 200])])[0]
        #expect(y.floats[0] == 0 && y.floats[4] == 1 && y.floats[2] == 0.5)
        #expect(abs(y.floats[1] - 0.268_941_42) < 1e-7 && abs(y.floats[3] - 0.731_058_6) < 1e-7)
        var random = TestRandom(seed: 12)
        try expectGradientMatchesFiniteDifferences(Sigmoid(), [random.tensor([2, 3, 4], in: -4...4)], wrt: [0])
        try expectReplicasMatchSeparatePasses(Sigmoid(), [random.tensor([1, 6])], wrt: [0])
    }

    @Test func clipBoundsFromAttributesOrInputs() throws {
        let x = Tensor(shape: [5], floats: [-3, -1, 0, 1, 3])
        #expect(try forward(Clip(minimum: -1.5, maximum: 2), [x])[0].floats == [-1.5, -1, 0, 1, 2])
        let low = Tensor(shape: [], floats: [-0.5])
        #expect(try forward(Clip(), [x, low])[0].floats == [-0.5, -0.5, 0, 1, 3])
        #expect(try forward(Clip(), [x, nil, Tensor(shape: [], floats: [0.5])])[0].floats == [-3, -1, 0, 0.5, 0.5])
        #expect(try forward(Clip(), [x])[0].floats == x.floats)
        // min > max: everything becomes max.
        #expect(try forward(Clip(minimum: 2, maximum: 1), [x])[0].floats == [1, 1, 1, 1, 1])
        expectInvalid("min must be a float32 scalar") { _ = try forward(Clip(), [x, Tensor(shape: [2], floats: [0, 1])]) }
    }

    @Test func clipGradientPassesInsideTheBounds() throws {
        var random = TestRandom(seed: 13)
        // Values are odd multiples of 0.025 and the bounds even ones: no value is within a step of a bound.
        let x = Tensor(shape: [2, 10], floats: random.distinct([20], gap: 0.05).floats.map { $0 + 0.025 })
        try expectGradientMatchesFiniteDifferences(Clip(minimum: -0.3, maximum: 0.2), [x], wrt: [0])
        let bounds: [Tensor?] = [Tensor(shape: [], floats: [-0.3]), Tensor(shape: [], floats: [0.2])]
        try expectGradientMatchesFiniteDifferences(Clip(), [x] + bounds, wrt: [0])
        try expectReplicasMatchSeparatePasses(Clip(), [x.reshaped([1, 20])] + bounds, wrt: [0])
    }

    @Test func floatOnlyOperatorsNameTheAcceptedType() {
        let ints = Tensor(shape: [2], integers: [1, 2])
        for op: any Operator in [LeakyRelu(), Sigmoid(), Clip(), Relu()] {
            expectInvalid("expected a float32 tensor") { _ = try forward(op, [ints]) }
        }
    }
}
