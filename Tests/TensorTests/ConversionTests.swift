import Testing
@testable import Tensor

/// Cast, ConstantOfShape and Range: element types, wrapping and saturation, and the
/// size limit checked before allocating.
@Suite struct ConversionTests {
    @Test func castWrapsTruncatesAndRounds() throws {
        let x = Tensor(shape: [6], floats: [-1.7, 2.9, 300, .nan, .infinity, 65519])
        #expect(try forward(Cast(to: .integer(bits: 64, signed: true)), [x])[0].integers == [-1, 2, 300, 0, .max, 65519])
        #expect(try forward(Cast(to: .integer(bits: 8, signed: true)), [x])[0].integers == [-1, 2, 44, 0, -1, -17])
        #expect(try forward(Cast(to: .integer(bits: 8, signed: false)), [x])[0].integers == [255, 2, 44, 0, 255, 239])
        #expect(try forward(Cast(to: .bool), [x])[0] == Tensor(shape: [6], integers: [1, 1, 1, 1, 1, 1], elementType: .bool))
        #expect(try forward(Cast(to: .float16), [x])[0].floats.last == 65504)
        let shape = Tensor(shape: [2], integers: [3, -4])
        #expect(try forward(Cast(to: .float32), [shape])[0] == Tensor(shape: [2], floats: [3, -4]))
        #expect(Cast(to: .bool).differentiableInputs.isEmpty)
        var random = TestRandom(seed: 94)
        try expectGradientMatchesFiniteDifferences(Cast(to: .float32), [random.tensor([2, 3])], wrt: [0])
    }

    @Test func constantOfShape() throws {
        #expect(try forward(ConstantOfShape(), [Tensor(shape: [2], integers: [2, 1])])[0] == Tensor.zeros([2, 1]))
        let sevens = try forward(ConstantOfShape(value: Tensor(shape: [1], integers: [7])), [Tensor(shape: [1], integers: [3])])[0]
        #expect(sevens == Tensor(shape: [3], integers: [7, 7, 7]))
        #expect(try forward(ConstantOfShape(), [Tensor(shape: [1], integers: [0])])[0].shape == [0])
        expectInvalid("more than \(maximumComputedElements) elements") {
            _ = try forward(ConstantOfShape(), [Tensor(shape: [3], integers: [1 << 20, 1 << 20, 1 << 20])])
        }
        expectInvalid("negative extent") { _ = try forward(ConstantOfShape(), [Tensor(shape: [1], integers: [-1])]) }
    }

    @Test func range() throws {
        func ints(_ a: Int64, _ b: Int64, _ c: Int64) throws -> [Int64] {
            try forward(NumericRange(), [a, b, c].map { Tensor(shape: [], integers: [$0]) })[0].integers
        }
        #expect(try ints(10, 4, -3) == [10, 7])
        #expect(try ints(0, 5, 2) == [0, 2, 4])
        #expect(try ints(5, 0, 1) == [])
        let floats = try forward(NumericRange(), [1, 5, 1.5].map { Tensor(shape: [], floats: [$0]) })[0]
        #expect(floats.floats == [1, 2.5, 4])
        expectInvalid("delta must be non-zero") { _ = try ints(0, 1, 0) }
        expectInvalid("extent over") { _ = try ints(0, .max, 1) }
        expectInvalid("overflows") { _ = try ints(.min, .max, 1) }
        expectInvalid("extent over") { _ = try forward(NumericRange(), [0, 1e30, 1].map { Tensor(shape: [], floats: [$0]) }) }
        expectInvalid("scalars of one type") {
            _ = try forward(NumericRange(), [Tensor(shape: [], floats: [0]), Tensor(shape: [], integers: [1]), Tensor(shape: [], integers: [1])])
        }
    }
}
