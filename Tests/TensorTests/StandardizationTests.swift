import Testing
@testable import Tensor

/// `LayerNormalization`, `GroupNormalization` and `InstanceNormalization`.
@Suite struct StandardizationTests {
    @Test func layerNormalizationForwardAndStatistics() throws {
        let x = Tensor(shape: [2, 4], floats: [1, 2, 3, 4, 2, 2, 2, 6])
        let scale = Tensor(shape: [4], floats: [1, 2, 1, 1]), bias = Tensor(shape: [], floats: [0.5])
        let outputs = try forward(LayerNormalization(axis: -1, epsilon: 0), [x, scale, bias], outputs: 3)
        let s = 1 / Float(1.25).squareRoot(), t = 1 / Float(3).squareRoot()
        #expect(isClose(outputs[0].floats, [-1.5 * s + 0.5, -1 * s + 0.5, 0.5 * s + 0.5, 1.5 * s + 0.5,
                                            -t + 0.5, -2 * t + 0.5, -t + 0.5, 3 * t + 0.5]))
        #expect(outputs[1] == Tensor(shape: [2, 1], floats: [2.5, 3]))
        #expect(outputs[2].shape == [2, 1] && isClose(outputs[2].floats, [s, t]))
        expectInvalid("does not broadcast to the normalized shape [4]") {
            _ = try forward(LayerNormalization(), [x, Tensor.zeros([2])])
        }
    }

    @Test func layerNormalizationGradientMatchesFiniteDifferences() throws {
        var random = TestRandom(seed: 50)
        let x = random.tensor([2, 3, 4], in: -2...2)
        for (axis, parameters) in [(-1, [4]), (1, [3, 4]), (1, [1, 4]), (0, [2, 3, 4])] {
            let op = LayerNormalization(axis: axis, epsilon: 1e-3)
            let inputs: [Tensor?] = [x, random.tensor(parameters), random.tensor(parameters)]
            try expectGradientMatchesFiniteDifferences(op, inputs, wrt: [0], step: 1e-3, tolerance: 5e-3)
            try expectGradientMatchesFiniteDifferences(op, [inputs[0], inputs[1]], wrt: [0], step: 1e-3, tolerance: 5e-3)
        }
        let image = random.tensor([1, 3, 4], in: -2...2)
        for axis in [0, 2] {
            let scale = random.tensor(Array([1, 3, 4][axis...]))
            try expectReplicasMatchSeparatePasses(LayerNormalization(axis: axis), [image, scale], wrt: [0])
        }
    }

    @Test func groupNormalizationForward() throws {
        // Two groups of two channels, each group's four values 1, 2, 3, 4 or 2, 4, 6, 8.
        let x = Tensor(shape: [1, 4, 1, 2], floats: [1, 2, 3, 4, 2, 4, 6, 8])
        let perChannel = GroupNormalization(groups: 2, epsilon: 0)
        let scale = Tensor(shape: [4], floats: [1, 1, 2, 2]), bias = Tensor(shape: [4], floats: [0, 0, 0, 1])
        let s = 1 / Float(1.25).squareRoot()
        let expected: [Float] = [-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s, -3 * s, -s, s + 1, 3 * s + 1]
        #expect(isClose(try forward(perChannel, [x, scale, bias])[0].floats, expected))
        // Opset 18's form: one scale and bias per group.
        let perGroup = GroupNormalization(groups: 2, epsilon: 0, perGroupParameters: true)
        let groupOutput = try forward(perGroup, [x, Tensor(shape: [2], floats: [1, 2]), Tensor(shape: [2], floats: [0, 1])])[0]
        #expect(isClose(groupOutput.floats, [-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s, -3 * s + 1, -s + 1, s + 1, 3 * s + 1]))
        expectInvalid("4 channels cannot form 3 groups") { _ = try forward(GroupNormalization(groups: 3), [x, scale, bias]) }
        expectInvalid("scale must be a vector of 2 elements (one per group)") { _ = try forward(perGroup, [x, scale, bias]) }
        // Instance normalization: each channel on its own.
        let instance = try forward(GroupNormalization(groups: nil, epsilon: 0), [x, .filled([4], with: 1), .zeros([4])])[0]
        #expect(isClose(instance.floats, [-1, 1, -1, 1, -1, 1, -1, 1]))
        #expect(GroupNormalization(groups: nil).opType == "InstanceNormalization")
    }

    @Test func groupNormalizationGradientMatchesFiniteDifferences() throws {
        var random = TestRandom(seed: 51)
        let x = random.tensor([2, 4, 3, 2], in: -2...2)
        for (groups, perGroup) in [(2, false), (2, true), (1, false), (nil, false)] as [(Int?, Bool)] {
            let op = GroupNormalization(groups: groups, epsilon: 1e-3, perGroupParameters: perGroup)
            let count = perGroup ? groups! : 4
            let inputs: [Tensor?] = [x, random.tensor([count]), random.tensor([count])]
            try expectGradientMatchesFiniteDifferences(op, inputs, wrt: [0], step: 1e-3, tolerance: 5e-3)
            try expectReplicasMatchSeparatePasses(op, [random.tensor([1, 4, 3, 2]), inputs[1], inputs[2]], wrt: [0])
        }
    }
}
