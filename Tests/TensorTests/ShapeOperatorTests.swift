import Testing
@testable import Tensor

@Suite struct ShapeOperatorTests {
    let shapeInts = Tensor(shape: [4], integers: [1, 3, 2, 2])

    func int64(_ values: [Int64]) -> Tensor { Tensor(shape: [values.count], integers: values) }

    @Test func flatten() throws {
        let x = Tensor.zeros([2, 3, 4, 5])
        for (axis, expected) in [(0, [1, 120]), (1, [2, 60]), (3, [24, 5]), (4, [120, 1]), (-1, [24, 5]), (-4, [1, 120])] {
            #expect(try forward(Flatten(axis: axis), [x])[0].shape == expected)
        }
        expectInvalid("axis 5 is out of range") { _ = try forward(Flatten(axis: 5), [x]) }
        #expect(try forward(Flatten(), [shapeInts])[0] == Tensor(shape: [4, 1], integers: [1, 3, 2, 2]))
    }

    @Test func reshape() throws {
        let x = Tensor(shape: [2, 3, 4], floats: (0..<24).map(Float.init))
        for (requested, expected) in [([4, -1], [4, 6]), ([0, -1], [2, 12]), ([0, 0, 2, 2], [2, 3, 2, 2]), ([-1], [24])] {
            let y = try forward(Reshape(), [x, int64(requested.map(Int64.init))])[0]
            #expect(y.shape == expected && y.floats == x.floats)
        }
        let empty = Tensor.zeros([0, 3])
        #expect(try forward(Reshape(allowZero: true), [empty, int64([3, 0])])[0].shape == [3, 0])
        // Without allowzero, 0 copies the input's extent: [3, 3] does not hold 0 elements.
        expectInvalid("cannot reshape") { _ = try forward(Reshape(), [empty, int64([3, 0])]) }
        expectInvalid("more than one -1") { _ = try forward(Reshape(), [x, int64([-1, -1])]) }
        expectInvalid("cannot reshape") { _ = try forward(Reshape(), [x, int64([5, 5])]) }
        expectInvalid("negative extent") { _ = try forward(Reshape(), [x, int64([-2, 12])]) }
        expectInvalid("has rank 3") { _ = try forward(Reshape(), [x, int64([2, 3, 4, 0])]) }
        expectInvalid("1-D int64") { _ = try forward(Reshape(), [x, Tensor(shape: [2], floats: [4, 6])]) }
    }

    @Test func squeezeAndUnsqueeze() throws {
        let x = Tensor.zeros([1, 3, 1, 2])
        #expect(try forward(Squeeze(), [x])[0].shape == [3, 2])
        #expect(try forward(Squeeze(axes: [0]), [x])[0].shape == [3, 1, 2])
        #expect(try forward(Squeeze(axes: [-2, 0]), [x])[0].shape == [3, 2])
        #expect(try forward(Squeeze(), [x, int64([2])])[0].shape == [1, 3, 2])
        expectInvalid("cannot squeeze axis 1") { _ = try forward(Squeeze(axes: [1]), [x]) }
        expectInvalid("repeat an axis") { _ = try forward(Squeeze(axes: [0, -4]), [x]) }
        let y = Tensor.zeros([3, 2])
        #expect(try forward(Unsqueeze(axes: [0]), [y])[0].shape == [1, 3, 2])
        #expect(try forward(Unsqueeze(axes: [-1, 0]), [y])[0].shape == [1, 3, 2, 1])
        #expect(try forward(Unsqueeze(axes: [3, 1]), [y])[0].shape == [3, 1, 2, 1])
        #expect(try forward(Unsqueeze(), [y, int64([1])])[0].shape == [3, 1, 2])
        expectInvalid("axes are required") { _ = try forward(Unsqueeze(), [y]) }
        expectInvalid("axis 4 is out of range") { _ = try forward(Unsqueeze(axes: [4]), [y]) }
        #expect(try forward(Unsqueeze(axes: [0]), [Tensor(shape: [], integers: [5])])[0] == int64([5]))
    }

    @Test func reshapingGradientsAreViews() throws {
        var random = TestRandom(seed: 70)
        let x = random.tensor([2, 3, 2])
        let ops: [(any Operator, [Tensor?])] = [
            (Flatten(axis: 1), [x]), (Flatten(axis: 0), [x]), (Reshape(), [x, int64([3, -1])]),
            (Squeeze(), [x.reshaped([2, 1, 3, 2])]), (Unsqueeze(axes: [1]), [x]), (Identity(), [x]),
        ]
        for (op, inputs) in ops {
            try expectGradientMatchesFiniteDifferences(op, inputs, wrt: [0])
        }
        let one = random.tensor([1, 3, 2])
        let replicable: [(any Operator, [Tensor?])] = [
            (Flatten(axis: 1), [one]), (Flatten(axis: 0), [one]), (Reshape(), [one, int64([1, 6])]),
            (Squeeze(axes: [2]), [one.reshaped([1, 3, 1, 2])]), (Unsqueeze(axes: [3]), [one]), (Identity(), [one]),
        ]
        for (op, inputs) in replicable {
            try expectReplicasMatchSeparatePasses(op, inputs, wrt: [0])
        }
        // The input's dimension 0 must be the batch for replicas to stack along it.
        try expectReplicasUnsupported(Unsqueeze(axes: [0]), [random.tensor([3, 2])], wrt: [0])
    }

    @Test func concat() throws {
        let a = Tensor(shape: [2, 1], floats: [1, 2]), b = Tensor(shape: [2, 2], floats: [3, 4, 5, 6])
        #expect(try forward(Concat(axis: -1, inputCount: 2), [a, b])[0] == Tensor(shape: [2, 3], floats: [1, 3, 4, 2, 5, 6]))
        #expect(try forward(Concat(axis: 0, inputCount: 2), [int64([1]), int64([-1])])[0] == int64([1, -1]))
        expectInvalid("differ in rank or in extents outside axis 0") {
            _ = try forward(Concat(axis: 0, inputCount: 2), [a, b])
        }
        expectInvalid("differ in element type") {
            _ = try forward(Concat(axis: 0, inputCount: 2), [int64([1]), Tensor(shape: [1], floats: [1])])
        }
        var random = TestRandom(seed: 71)
        let parts: [Tensor?] = [random.tensor([2, 1, 3]), random.tensor([2, 2, 3]), random.tensor([2, 3, 3])]
        try expectGradientMatchesFiniteDifferences(Concat(axis: 1, inputCount: 3), parts, wrt: [0, 1, 2])
        try expectGradientMatchesFiniteDifferences(Concat(axis: 1, inputCount: 3), parts, wrt: [2])
        let stacked: [Tensor?] = [random.tensor([1, 2]), random.tensor([2, 2])]
        try expectGradientMatchesFiniteDifferences(Concat(axis: 0, inputCount: 2), stacked, wrt: [0, 1])
        let images: [Tensor?] = [random.tensor([1, 2, 2]), random.tensor([1, 1, 2])]
        try expectReplicasMatchSeparatePasses(Concat(axis: 1, inputCount: 2), images, wrt: [0, 1])
        // Along dimension 0 a batch-1 output holds one non-empty input.
        try expectReplicasUnsupported(Concat(axis: 0, inputCount: 2), [random.tensor([1, 2]), random.tensor([0, 2])], wrt: [0])
    }

    @Test func transpose() throws {
        let x = Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])
        #expect(try forward(Transpose(), [x])[0] == Tensor(shape: [3, 2], floats: [1, 4, 2, 5, 3, 6]))
        let ints = Tensor(shape: [1, 2, 3], integers: [1, 2, 3, 4, 5, 6])
        #expect(try forward(Transpose(perm: [2, 0, 1]), [ints])[0] == Tensor(shape: [3, 1, 2], integers: [1, 4, 2, 5, 3, 6]))
        expectInvalid("not a permutation") { _ = try forward(Transpose(perm: [0, 0]), [x]) }
        var random = TestRandom(seed: 72)
        for perm in [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
            try expectGradientMatchesFiniteDifferences(Transpose(perm: perm), [random.tensor([2, 3, 4])], wrt: [0])
        }
        try expectGradientMatchesFiniteDifferences(Transpose(), [random.tensor([2, 3, 4])], wrt: [0])
        try expectReplicasMatchSeparatePasses(Transpose(perm: [0, 2, 3, 1]), [random.tensor([1, 2, 3, 4])], wrt: [0])
        try expectReplicasUnsupported(Transpose(perm: [1, 0, 2]), [random.tensor([1, 1, 3])], wrt: [0])
        // Moving dimension 0 is fine without replicas.
        try expectGradientMatchesFiniteDifferences(Transpose(perm: [1, 0]), [random.tensor([3, 2])], wrt: [0])
    }

    @Test func shape() throws {
        let x = Tensor.zeros([2, 3, 4])
        #expect(try forward(Shape(), [x])[0] == int64([2, 3, 4]))
        #expect(try forward(Shape(start: 1), [x])[0] == int64([3, 4]))
        #expect(try forward(Shape(start: -1), [x])[0] == int64([4]))
        #expect(try forward(Shape(start: 1, end: -1), [x])[0] == int64([3]))
        #expect(try forward(Shape(start: -10, end: 10), [x])[0] == int64([2, 3, 4]))
        #expect(try forward(Shape(start: 2, end: 1), [x])[0] == int64([]))
        #expect(Shape().differentiableInputs.isEmpty)
    }

    @Test func gather() throws {
        let data = Tensor(shape: [3, 2], floats: [1, 2, 3, 4, 5, 6])
        #expect(try forward(Gather(axis: 0), [data, int64([2, -3])])[0] == Tensor(shape: [2, 2], floats: [5, 6, 1, 2]))
        #expect(try forward(Gather(axis: 1), [data, Tensor(shape: [], integers: [1])])[0] == Tensor(shape: [3], floats: [2, 4, 6]))
        let indices = Tensor(shape: [2, 2], integers: [0, 1, 1, 0])
        #expect(try forward(Gather(axis: -1), [data, indices])[0].shape == [3, 2, 2])
        // Shape plumbing: the batch size out of Shape.
        #expect(try forward(Gather(), [int64([1, 512, 7, 7]), Tensor(shape: [], integers: [0])])[0] == Tensor(shape: [], integers: [1]))
        expectInvalid("index 3 is out of range") { _ = try forward(Gather(), [data, int64([3])]) }
        expectInvalid("indices must be int64") { _ = try forward(Gather(), [data, Tensor(shape: [1], floats: [0])]) }
        var random = TestRandom(seed: 73)
        // Repeated indices accumulate.
        let x = random.tensor([3, 4, 2])
        try expectGradientMatchesFiniteDifferences(Gather(axis: 1), [x, Tensor(shape: [2, 2], integers: [3, 0, 3, -1])], wrt: [0])
        try expectGradientMatchesFiniteDifferences(Gather(axis: 0), [x, int64([2, 2, 0])], wrt: [0])
        try expectReplicasMatchSeparatePasses(Gather(axis: 1), [random.tensor([1, 4, 2]), int64([1, 1, 3])], wrt: [0])
        try expectReplicasUnsupported(Gather(axis: 0), [random.tensor([1, 4]), int64([0])], wrt: [0])
    }
}
