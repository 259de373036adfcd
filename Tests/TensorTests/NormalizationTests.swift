import Foundation
import Testing
@testable import Tensor

@Suite struct NormalizationTests {
    /// LRN by the ONNX formula, in Double, for `[N, C, plane]` data.
    func lrnReference(_ x: Tensor, size: Int, alpha: Double, beta: Double, bias: Double) -> [Float] {
        let c = x.shape[1], plane = x.count / (x.shape[0] * c)
        let below = (size - 1) / 2, above = size - 1 - below
        return (0..<x.count).map { index in
            let n = index / (c * plane), channel = (index / plane) % c, i = index % plane
            var sum = 0.0
            for k in max(0, channel - below)...min(c - 1, channel + above) {
                let v = Double(x.floats[(n * c + k) * plane + i])
                sum += v * v
            }
            return Float(Double(x.floats[index]) / pow(bias + alpha / Double(size) * sum, beta))
        }
    }

    @Test func lrnFollowsTheONNXWindow() throws {
        var random = TestRandom(seed: 40)
        let x = random.tensor([2, 5, 2, 3], in: -2...2)
        // Even sizes put the extra channel above: [c − 1, c + 2] for size 4.
        for (size, alpha, beta, bias) in [(5, 1e-4, 0.75, 1.0), (4, 0.5, 0.6, 2.0), (1, 0.3, 1.0, 0.5), (2, 1.0, 0.5, 1.0)] {
            let op = try LRN(size: size, alpha: Float(alpha), beta: Float(beta), bias: Float(bias))
            #expect(isClose(try forward(op, [x])[0].floats, lrnReference(x, size: size, alpha: alpha, beta: beta, bias: bias), tolerance: 1e-6))
        }
    }

    @Test func lrnGradientMatchesFiniteDifferences() throws {
        var random = TestRandom(seed: 41)
        for size in [1, 2, 3, 4, 5] {
            let op = try LRN(size: size, alpha: 0.8, beta: 0.75, bias: 1.5)
            try expectGradientMatchesFiniteDifferences(op, [random.tensor([2, 6, 2, 2], in: -2...2)], wrt: [0])
            try expectReplicasMatchSeparatePasses(op, [random.tensor([1, 6, 3])], wrt: [0])
        }
        // Threads split the positions of each image.
        let op = try LRN(size: 3, alpha: 0.8, beta: 0.75, bias: 1.5)
        let x = random.tensor([1, 4, 600])
        let dy = random.tensor([1, 4, 600])
        #expect(try forward(op, [x], threads: 2) == forward(op, [x]))
        #expect(try backward(op, [x], gradient: dy, wrt: [0], threads: 2) == backward(op, [x], gradient: dy, wrt: [0]))
    }

    @Test func lrnRejectsBadSizesAndRanks() throws {
        #expect(throws: EngineError.invalid(op: "LRN", "size must be >= 1, got 0")) { try LRN(size: 0) }
        expectInvalid("rank 2 or more") { _ = try forward(try LRN(size: 3), [Tensor.zeros([4])]) }
    }

    func parameters(channels: Int, random: inout TestRandom) -> [Tensor] {
        [random.tensor([channels]), random.tensor([channels]), random.tensor([channels]), random.tensor([channels], in: 0.5...2)]
    }

    @Test func batchNormalizationForward() throws {
        let x = Tensor(shape: [1, 2, 2], floats: [1, 2, 3, 4])
        let p = [Tensor(shape: [2], floats: [2, 1]), Tensor(shape: [2], floats: [0.5, -1]),
                 Tensor(shape: [2], floats: [1, 3]), Tensor(shape: [2], floats: [4, 0.25])]
        let expected: [Float] = [0.5, 1.5, -1, 1]
        let folded = try BatchNormalization(epsilon: 0, parameters: p)
        #expect(try forward(folded, [x] + p)[0].floats == expected)
        // Parameters computed at run time give the same result.
        #expect(try forward(BatchNormalization(epsilon: 0), [x] + p)[0].floats == expected)
        #expect(try folded.backwardUses == .nothing && BatchNormalization(epsilon: 0).backwardUses == .inputs(1, 2, 3, 4))
    }

    @Test func batchNormalizationGradient() throws {
        var random = TestRandom(seed: 42)
        let p = parameters(channels: 3, random: &random)
        for op in [try BatchNormalization(epsilon: 1e-3, parameters: p), try BatchNormalization(epsilon: 1e-3)] {
            try expectGradientMatchesFiniteDifferences(op, [random.tensor([2, 3, 2, 2])] + p, wrt: [0])
            try expectGradientMatchesFiniteDifferences(op, [random.tensor([2, 3])] + p, wrt: [0])
            try expectReplicasMatchSeparatePasses(op, [random.tensor([1, 3, 4])] + p, wrt: [0])
        }
    }

    @Test func batchNormalizationRejectsMismatchedParameters() throws {
        var random = TestRandom(seed: 43)
        let p = parameters(channels: 3, random: &random)
        expectInvalid("var must be a float32 vector of 3 elements") {
            _ = try BatchNormalization(parameters: [p[0], p[1], p[2], Tensor.zeros([2])])
        }
        expectInvalid("parameters have 3 elements for 4 channels") {
            _ = try forward(try BatchNormalization(parameters: p), [Tensor.zeros([1, 4, 2])] + p)
        }
        expectInvalid("only the output Y") { _ = try forward(try BatchNormalization(parameters: p), [Tensor.zeros([1, 3])] + p, outputs: 3) }
    }

    @Test func dropoutPassesThroughAtInference() throws {
        let x = Tensor(shape: [2, 2], floats: [1, -2, 3, -4])
        let outputs = try forward(Dropout(), [x], outputs: 2)
        #expect(outputs[0] == x)
        #expect(outputs[1].elementType == .bool && outputs[1].integers == [1, 1, 1, 1])
        #expect(try forward(Dropout(booleanMask: false), [x], outputs: 2)[1] == .filled([2, 2], with: 1))
        let ints = Tensor(shape: [2], integers: [7, 8])
        #expect(try forward(Dropout(), [ints])[0] == ints)
        let yes = Tensor(shape: [], integers: [1], elementType: .bool)
        #expect(try forward(Dropout(), [x, Tensor(shape: [], floats: [0]), yes])[0] == x)
        expectInvalid("training_mode is true") { _ = try forward(Dropout(), [x, Tensor(shape: [], floats: [0.5]), yes]) }
        expectInvalid("training_mode is true") { _ = try forward(Dropout(), [x, nil, yes]) }
        let dy = Tensor(shape: [3, 2], floats: [1, 2, 3, 4, 5, 6])
        #expect(try backward(Dropout(), [x], gradient: dy, wrt: [0])[0] == dy)
    }
}
