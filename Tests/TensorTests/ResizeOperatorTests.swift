import Testing
@testable import Tensor

/// Resize: coordinate transforms and nearest modes on hand-checked 1-D rows, the refusal
/// of batch or channel resizing, and VJPs against finite differences.
@Suite struct ResizeOperatorTests {
    /// `[1, 1, 1, 4]` = 0, 1, 2, 3 resized along W to `width`.
    func row(_ op: Resize, width: Int) throws -> [Float] {
        let x = Tensor(shape: [1, 1, 1, 4], floats: [0, 1, 2, 3])
        return try forward(op, [x, nil, nil, Tensor(shape: [4], integers: [1, 1, 1, Int64(width)])])[0].floats
    }

    @Test func linearCoordinateTransforms() throws {
        #expect(try row(Resize(mode: .linear, coordinates: .halfPixel), width: 8) == [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3])
        #expect(try row(Resize(mode: .linear, coordinates: .alignCorners), width: 7) == [0, 0.5, 1, 1.5, 2, 2.5, 3])
        #expect(try row(Resize(mode: .linear, coordinates: .asymmetric), width: 8) == [0, 0.5, 1, 1.5, 2, 2.5, 3, 3])
        // With scales, align_corners divides by in · scale − 1, not by the floored output size − 1.
        let scaled = try forward(Resize(mode: .linear, coordinates: .alignCorners),
                                 [Tensor(shape: [1, 1, 1, 4], floats: [0, 1, 2, 3]), nil, Tensor(shape: [4], floats: [1, 1, 1, 0.6])])[0]
        #expect(scaled.floats == [0, 3 / Float(1.4)])
        #expect(try row(Resize(mode: .linear, coordinates: .pytorchHalfPixel), width: 1) == [0])
        #expect(try row(Resize(mode: .linear, coordinates: .halfPixel), width: 1) == [1.5])
    }

    @Test func nearestModes() throws {
        #expect(try row(Resize(mode: .nearest, coordinates: .asymmetric, nearest: .floor), width: 8) == [0, 0, 1, 1, 2, 2, 3, 3])
        #expect(try row(Resize(mode: .nearest, coordinates: .halfPixel, nearest: .roundPreferFloor), width: 2) == [0, 2])
        #expect(try row(Resize(mode: .nearest, coordinates: .halfPixel, nearest: .roundPreferCeil), width: 2) == [1, 3])
        #expect(try row(Resize(mode: .nearest, coordinates: .asymmetric, nearest: .ceil), width: 3) == [0, 2, 3])
        #expect(try row(Resize(mode: .nearest, coordinates: .tfHalfPixelForNN), width: 2) == [1, 3])
    }

    @Test func scalesAndRefusals() throws {
        let x = Tensor.zeros([1, 2, 3, 3])
        let op = Resize(mode: .nearest)
        let y = try forward(op, [x, nil, Tensor(shape: [4], floats: [1, 1, 2, 0.5])])[0]
        #expect(y.shape == [1, 2, 6, 1])
        expectInvalid("only spatial axes") { _ = try forward(op, [x, nil, Tensor(shape: [4], floats: [2, 1, 1, 1])]) }
        expectInvalid("only spatial axes") { _ = try forward(op, [x, nil, nil, Tensor(shape: [4], integers: [16, 2, 3, 3])]) }
        expectInvalid("exactly one of scales and sizes") { _ = try forward(op, [x]) }
        expectInvalid("positive finite") { _ = try forward(op, [x, nil, Tensor(shape: [4], floats: [1, 1, -1, 1])]) }
        expectInvalid("more than \(maximumComputedElements) elements") {
            _ = try forward(op, [x, nil, Tensor(shape: [4], floats: [1, 1, 1e4, 1e4])])
        }
        expectInvalid("extent over") { _ = try forward(op, [x, nil, Tensor(shape: [4], floats: [1, 1, 1e30, 1])]) }
    }

    @Test func gradientsMatchFiniteDifferences() throws {
        var random = TestRandom(seed: 95)
        let x = random.tensor([2, 2, 3, 4])
        for coordinates in Resize.Coordinates.allCases {
            for sizes: [Int64] in [[2, 2, 5, 7], [2, 2, 2, 3]] {
                let op = Resize(mode: .linear, coordinates: coordinates)
                try expectGradientMatchesFiniteDifferences(op, [x, nil, nil, Tensor(shape: [4], integers: sizes)], wrt: [0])
            }
        }
        let nearest = Resize(mode: .nearest, coordinates: .asymmetric, nearest: .floor)
        try expectGradientMatchesFiniteDifferences(nearest, [x, nil, Tensor(shape: [4], floats: [1, 1, 2, 1.5])], wrt: [0])
        let one = random.tensor([1, 2, 3, 3])
        try expectReplicasMatchSeparatePasses(Resize(mode: .linear), [one, nil, Tensor(shape: [4], floats: [1, 1, 2, 2])], wrt: [0])
    }
}
