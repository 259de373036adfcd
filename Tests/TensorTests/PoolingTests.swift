import Testing
@testable import Tensor

@Suite struct PoolingTests {
    func window(_ kernel: [Int], strides: [Int] = [], dilations: [Int] = [], pads: [Int] = [],
                autoPad: AutoPad = .notSet, ceil: Bool = false) throws -> Window {
        try Window(kernel: kernel, strides: strides, dilations: dilations, pads: pads, autoPad: autoPad, ceilMode: ceil, op: "test")
    }

    /// Window configurations covering pads, strides, dilations, ceil_mode, SAME padding and 1-D.
    func windows() throws -> [(Window, [Int])] {
        [
            (try window([2, 2], strides: [2, 2]), [2, 2, 4, 4]),
            (try window([3, 3], strides: [2, 2], pads: [1, 1, 1, 1]), [1, 2, 5, 5]),
            (try window([3, 2], strides: [2, 1], pads: [0, 1, 1, 0]), [1, 2, 5, 4]),
            (try window([2, 2], dilations: [2, 2]), [1, 1, 5, 5]),
            (try window([3, 3], strides: [2, 2], ceil: true), [1, 2, 6, 6]),
            (try window([2, 3], strides: [2, 2], pads: [1, 0, 0, 1], ceil: true), [1, 1, 4, 6]),
            (try window([3, 3], strides: [2, 2], autoPad: .sameUpper), [1, 1, 5, 4]),
            (try window([2, 2], autoPad: .sameLower), [1, 1, 3, 4]),
            (try window([3], strides: [2], pads: [1, 1]), [2, 2, 7]),
        ]
    }

    @Test func maxPoolPicksTheFirstMaximum() throws {
        // Ties: the gradient goes to the first maximum in row-major order of each window.
        let x = Tensor(shape: [1, 1, 2, 4], floats: [1, 5, 5, 2, 5, 0, 3, 3])
        let op = MaxPool(window: try window([2, 2], strides: [2, 2]))
        #expect(try forward(op, [x])[0].floats == [5, 5])
        let dx = try backward(op, [x], gradient: Tensor(shape: [1, 1, 1, 2], floats: [10, 20]), wrt: [0])[0]
        #expect(dx.floats == [0, 10, 20, 0, 0, 0, 0, 0])
    }

    @Test func maxPoolPaddingNeverWins() throws {
        let x = Tensor(shape: [1, 1, 2, 2], floats: [-4, -3, -2, -1])
        let op = MaxPool(window: try window([2, 2], pads: [1, 1, 1, 1]))
        #expect(try forward(op, [x])[0].floats == [-4, -3, -3, -2, -1, -1, -2, -1, -1])
    }

    @Test func maxPoolGradientMatchesFiniteDifferences() throws {
        var random = TestRandom(seed: 30)
        for (window, shape) in try windows() {
            try expectGradientMatchesFiniteDifferences(MaxPool(window: window), [random.distinct(shape)], wrt: [0])
            try expectReplicasMatchSeparatePasses(MaxPool(window: window), [random.distinct([1] + shape.dropFirst())], wrt: [0])
        }
    }

    @Test func maxPoolRejectsTheIndicesOutput() throws {
        let op = MaxPool(window: try window([2, 2]))
        expectInvalid("Indices output is not supported") { _ = try forward(op, [Tensor.zeros([1, 1, 2, 2])], outputs: 2) }
        expectInvalid("expected a rank-4 input") { _ = try forward(op, [Tensor.zeros([1, 2, 2])]) }
        expectInvalid("does not fit") { _ = try forward(op, [Tensor.zeros([1, 1, 1, 1])]) }
    }

    @Test func averagePoolDivisors() throws {
        // 3x3 input, kernel 2, stride 2, pads (1, 1, 0, 0): the top-left window holds only x[0, 0].
        let x = Tensor(shape: [1, 1, 3, 3], floats: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let w = try window([2, 2], strides: [2, 2], pads: [1, 1, 0, 0])
        #expect(try forward(AveragePool(window: w), [x])[0].floats == [1, 2.5, 5.5, 7])
        #expect(try forward(AveragePool(window: w, countIncludePad: true), [x])[0].floats == [0.25, 1.25, 2.75, 7])
        // ceil_mode adds a last window reaching past the padded extent: those taps never count.
        let line = Tensor(shape: [1, 1, 4], floats: [1, 2, 3, 4])
        let ceil = try window([2], strides: [2], pads: [1, 0], ceil: true)
        #expect(try forward(AveragePool(window: ceil), [line])[0].floats == [1, 2.5, 4])
        #expect(try forward(AveragePool(window: ceil, countIncludePad: true), [line])[0].floats == [0.5, 2.5, 4])
        // Dilation 2 over a 5-wide row: taps 0, 2, 4 then 2, 4.
        let row = Tensor(shape: [1, 1, 5], floats: [1, 2, 3, 4, 5])
        let dilated = try window([3], strides: [2], dilations: [2], pads: [0, 2])
        #expect(try forward(AveragePool(window: dilated), [row])[0].floats == [3, 4])
        #expect(try forward(AveragePool(window: dilated, countIncludePad: true), [row])[0].floats == [3, 8.0 / 3])
    }

    @Test func averagePoolGradientMatchesFiniteDifferences() throws {
        var random = TestRandom(seed: 31)
        for (window, shape) in try windows() {
            for include in [false, true] {
                let op = AveragePool(window: window, countIncludePad: include)
                try expectGradientMatchesFiniteDifferences(op, [random.tensor(shape)], wrt: [0])
                try expectReplicasMatchSeparatePasses(op, [random.tensor([1] + shape.dropFirst())], wrt: [0])
            }
        }
    }

    @Test func poolingSplitsPlanesAmongThreads() throws {
        var random = TestRandom(seed: 32)
        let x = random.distinct([2, 3, 6, 6])
        for op: any Operator in [MaxPool(window: try window([3, 3], strides: [2, 2], pads: [1, 1, 1, 1])),
                                 AveragePool(window: try window([3, 3], strides: [2, 2], pads: [1, 1, 1, 1]))] {
            #expect(try forward(op, [x], threads: 2) == forward(op, [x]))
            let y = try forward(op, [x])[0]
            let dy = random.tensor(y.shape)
            #expect(try backward(op, [x], gradient: dy, wrt: [0], threads: 2) == backward(op, [x], gradient: dy, wrt: [0]))
        }
    }

    @Test func globalAveragePool() throws {
        let x = Tensor(shape: [1, 2, 2, 2], floats: [1, 2, 3, 4, 10, 20, 30, 40])
        let y = try forward(GlobalAveragePool(), [x])[0]
        #expect(y.shape == [1, 2, 1, 1] && y.floats == [2.5, 25])
        var random = TestRandom(seed: 33)
        try expectGradientMatchesFiniteDifferences(GlobalAveragePool(), [random.tensor([2, 3, 2, 3])], wrt: [0])
        try expectGradientMatchesFiniteDifferences(GlobalAveragePool(), [random.tensor([2, 2, 5])], wrt: [0])
        try expectReplicasMatchSeparatePasses(GlobalAveragePool(), [random.tensor([1, 3, 2, 2])], wrt: [0])
        expectInvalid("rank 3 or more") { _ = try forward(GlobalAveragePool(), [Tensor.zeros([2, 3])]) }
    }
}
