import Foundation
import Testing
@testable import Tensor

@Suite struct UnaryFunctionTests {
    /// 58 values from −4.275 to 4.275, 0.15 apart: none within a finite-difference step of
    /// a kink (0, ±2.5 for the default HardSigmoid, ±3 for HardSwish).
    let grid = Tensor(shape: [2, 29], floats: (0..<58).map { (Float($0) - 28.5) * 0.15 })
    /// Positive values, for Log, Sqrt and Reciprocal.
    let positive = Tensor(shape: [3, 5], floats: (0..<15).map { 0.4 + Float($0) * 0.2 })

    static let everywhere: [UnaryFunction.Function] = [
        .exp, .tanh, .neg, .abs, .ceil, .floor, .erf, .gelu(approximate: false), .gelu(approximate: true), .softplus, .mish,
        .elu(alpha: 1), .elu(alpha: 0.3), .selu(alpha: 1.673_263_2, gamma: 1.050_701), .hardSigmoid(alpha: 0.2, beta: 0.5),
        .hardSigmoid(alpha: 0.5, beta: 0.25), .hardSwish,
    ]

    @Test(arguments: everywhere)
    func gradientMatchesFiniteDifferences(_ function: UnaryFunction.Function) throws {
        try expectGradientMatchesFiniteDifferences(UnaryFunction(function), [grid], wrt: [0])
        try expectReplicasMatchSeparatePasses(UnaryFunction(function), [grid.reshaped([1, 58])], wrt: [0])
    }

    @Test(arguments: [UnaryFunction.Function.log, .sqrt, .reciprocal])
    func gradientOnThePositiveDomainMatchesFiniteDifferences(_ function: UnaryFunction.Function) throws {
        try expectGradientMatchesFiniteDifferences(UnaryFunction(function), [positive], wrt: [0])
        try expectReplicasMatchSeparatePasses(UnaryFunction(function), [positive.reshaped([1, 15])], wrt: [0])
    }

    /// Values from the functions' definitions (GELU, Mish and Softplus have no ONNX
    /// conformance cases in the installed test data).
    @Test func forwardValues() throws {
        func y(_ function: UnaryFunction.Function, _ x: [Float]) throws -> [Float] {
            try forward(UnaryFunction(function), [Tensor(shape: [x.count], floats: x)])[0].floats
        }
        #expect(isClose(try y(.gelu(approximate: false), [-1, 0, 1, 3]), [-0.158_655_25, 0, 0.841_344_7, 2.995_950_5]))
        #expect(isClose(try y(.gelu(approximate: true), [-1, 0, 1]), [-0.158_808, 0, 0.841_192]))
        #expect(isClose(try y(.mish, [-1, 0, 1]), [-0.303_401_4, 0, 0.865_098_4]))
        #expect(isClose(try y(.softplus, [-100, 0, 100]), [0, 0.693_147_2, 100]))
        #expect(isClose(try y(.hardSwish, [-4, -1.5, 0, 1.5, 4]), [0, -0.375, 0, 1.125, 4]))
        #expect(try y(.ceil, [-1.5, -0.5, 0.5, 2]) == [-1, 0, 1, 2])
        #expect(try y(.floor, [-1.5, -0.5, 0.5, 2]) == [-2, -1, 0, 2])
        #expect(isClose(try y(.hardSigmoid(alpha: 0.2, beta: 0.5), [-3, 0, 1, 3]), [0, 0.5, 0.7, 1]))
        #expect(isClose(try y(.elu(alpha: 2), [-1, 2]), [2 * (exp(-1) - 1), 2]))
        #expect(try y(.abs, [-2, 0, 3]) == [2, 0, 3])
        #expect(try y(.neg, [-2, 0, 3]) == [2, 0, -3])
    }

    /// PyTorch's derivatives at the kinks.
    @Test func derivativesAtKinks() throws {
        func dx(_ function: UnaryFunction.Function, _ x: [Float]) throws -> [Float] {
            let input = Tensor(shape: [x.count], floats: x)
            return try backward(UnaryFunction(function), [input], gradient: .filled([x.count], with: 1), wrt: [0])[0].floats
        }
        #expect(try dx(.abs, [0]) == [0])
        #expect(try dx(.elu(alpha: 0.5), [0]) == [0.5])
        #expect(try dx(.hardSwish, [-3, 3]) == [-0.5, 1.5])
        #expect(try dx(.hardSigmoid(alpha: 0.2, beta: 0.5), [-2.5, 2.5]) == [0, 0])
    }

    @Test func integerInputsAreRefused() {
        let ints = Tensor(shape: [2], integers: [1, 2])
        for function in Self.everywhere {
            expectInvalid("expected a float32 tensor") { _ = try forward(UnaryFunction(function), [ints]) }
        }
    }
}
