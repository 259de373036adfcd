import Testing
@testable import Tensor

@Suite struct ConvTests {
    /// Convolution configurations: stride, asymmetric pads, dilation, groups, SAME padding,
    /// 1-D and the pointwise (no unfolding) path. Each gives the window, group, X and W shapes.
    func configurations() throws -> [(Window, Int, [Int], [Int])] {
        [
            (try Window(kernel: [3, 3], op: "test"), 1, [2, 2, 5, 5], [3, 2, 3, 3]),
            (try Window(kernel: [3, 2], strides: [2, 1], pads: [1, 0, 0, 1], op: "test"), 1, [1, 2, 5, 4], [2, 2, 3, 2]),
            (try Window(kernel: [2, 2], dilations: [2, 1], pads: [1, 1, 1, 1], op: "test"), 1, [1, 1, 4, 4], [2, 1, 2, 2]),
            (try Window(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], op: "test"), 2, [1, 4, 5, 5], [4, 2, 3, 3]),
            (try Window(kernel: [3, 3], autoPad: .sameUpper, op: "test"), 3, [1, 3, 4, 3], [6, 1, 3, 3]),
            (try Window(kernel: [3], strides: [2], dilations: [2], pads: [2, 1], op: "test"), 1, [2, 2, 7], [3, 2, 3]),
            (try Window(kernel: [1, 1], op: "test"), 1, [2, 3, 2, 3], [4, 3, 1, 1]),
        ]
    }

    /// A model's pads, strides and dilations are hostile: an output over
    /// `maximumComputedElements` elements is refused before it is allocated (Conv and both
    /// pools), and values that could overflow the extents' arithmetic when the window is built.
    @Test func hostileWindowsAreRefusedBeforeAllocating() throws {
        let huge = try Window(kernel: [3, 3], pads: [60000, 60000, 60000, 60000], op: "Conv")
        let x = Tensor.zeros([1, 3, 32, 32])
        expectInvalid("more than \(maximumComputedElements) elements") {
            _ = try forward(Conv(window: huge), [x, Tensor.zeros([8, 3, 3, 3])])
        }
        expectInvalid("more than \(maximumComputedElements) elements") { _ = try forward(MaxPool(window: huge), [x]) }
        expectInvalid("more than \(maximumComputedElements) elements") { _ = try forward(AveragePool(window: huge), [x]) }
        for (pads, dilations) in [([0, Int(Int64.max), 0, 0], [1, 1]), ([0, 0, 0, 0], [1 << 62, 1])] {
            expectInvalid("must be at most \(maximumComputedElements)") {
                _ = try Window(kernel: [3, 3], dilations: dilations, pads: pads, op: "Conv")
            }
        }
    }

    @Test func forwardMatchesTheDefinition() throws {
        // Y[0, m, i, j] = B[m] + Σ W[m, c, p, q] · X[0, g·C/group + c, i·s + p·d − pad, j·s + q·d − pad].
        var random = TestRandom(seed: 80)
        let window = try Window(kernel: [2, 2], strides: [2, 1], dilations: [1, 2], pads: [1, 0, 0, 1], op: "test")
        let x = random.tensor([1, 4, 4, 5]), w = random.tensor([2, 2, 2, 2]), b = random.tensor([2])
        let y = try forward(Conv(window: window, group: 2), [x, w, b])[0]
        #expect(y.shape == [1, 2, 2, 4])
        for m in 0..<2 {
            for i in 0..<2 {
                for j in 0..<4 {
                    var sum = b.floats[m]
                    for c in 0..<2 {
                        for p in 0..<2 {
                            for q in 0..<2 {
                                let row = i * 2 + p - 1, column = j + q * 2
                                guard row >= 0, row < 4, column < 5 else { continue }
                                sum += w.floats[((m * 2 + c) * 2 + p) * 2 + q] * x.floats[((m * 2 + c) * 4 + row) * 5 + column]
                            }
                        }
                    }
                    #expect(abs(y.floats[(m * 2 + i) * 4 + j] - sum) < 1e-5)
                }
            }
        }
    }

    @Test func inputGradientMatchesFiniteDifferences() throws {
        var random = TestRandom(seed: 81)
        for (window, group, x, w) in try configurations() + GroupedConvTests().configurations() {
            let op = Conv(window: window, group: group)
            let inputs: [Tensor?] = [random.tensor(x), random.tensor(w), random.tensor([w[0]])]
            try expectGradientMatchesFiniteDifferences(op, inputs, wrt: [0])
            try expectReplicasMatchSeparatePasses(op, [random.tensor([1] + x.dropFirst()), inputs[1], inputs[2]], wrt: [0])
        }
    }

    /// A batch of at least as many images as threads is split by image (each thread with its
    /// own column matrix); each image's output, bias and fused activation included, equals the
    /// single-threaded pass's. Five images on two and three threads: uneven shares.
    @Test func aBatchSplitAmongThreadsByImageGivesEachImagesOwnOutput() throws {
        var random = TestRandom(seed: 83)
        for (window, group, x, w) in try configurations() + GroupedConvTests().configurations() {
            let op = Conv(window: window, group: group)
            let inputs: [Tensor?] = [random.tensor([5] + x.dropFirst()), random.tensor(w), random.tensor([w[0]])]
            var single = [Tensor.empty]
            try op.forward(inputs, into: &single, workspace: Workspace(threads: 1), activation: .relu)
            for threads in [2, 3] {
                var split = [Tensor.empty]
                try op.forward(inputs, into: &split, workspace: Workspace(threads: threads), activation: .relu)
                #expect(split[0].shape == single[0].shape)
                #expect(isClose(split[0].floats, single[0].floats, tolerance: 1e-5), "\(window) group \(group), \(threads) threads")
            }
        }
    }

    @Test func threadsGiveTheSameGradient() throws {
        var random = TestRandom(seed: 82)
        let op = Conv(window: try Window(kernel: [3, 3], pads: [1, 1, 1, 1], op: "test"))
        let inputs: [Tensor?] = [random.tensor([1, 8, 12, 12]), random.tensor([16, 8, 3, 3])]
        let dy = random.tensor([1, 16, 12, 12])
        let single = try backward(op, inputs, gradient: dy, wrt: [0])[0]
        let split = try backward(op, inputs, gradient: dy, wrt: [0], threads: 2)[0]
        #expect(isClose(single.floats, split.floats, tolerance: 1e-5))
    }
}
