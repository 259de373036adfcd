import Foundation
import Testing
@testable import Tensor

@Suite struct SoftmaxTests {
    /// Softmax of `values` by hand, in Double.
    func reference(_ values: [Float]) -> [Float] {
        let m = values.max()!
        let e = values.map { exp(Double($0 - m)) }
        let s = e.reduce(0, +)
        return e.map { Float($0 / s) }
    }

    @Test func singleAxisAndCoercedSemanticsDiffer() throws {
        var random = TestRandom(seed: 20)
        let x = random.tensor([2, 3, 4], in: -3...3)
        // Opset 13: softmax along axis 1 alone (groups of 3, 4 apart).
        let single = try forward(Softmax(axis: 1, coerced: false), [x])[0]
        for n in 0..<2 {
            for k in 0..<4 {
                let group = (0..<3).map { x.floats[n * 12 + $0 * 4 + k] }
                let got = (0..<3).map { single.floats[n * 12 + $0 * 4 + k] }
                #expect(isClose(got, reference(group)))
            }
        }
        // Before opset 13: rows of the [2, 12] matrix.
        let coerced = try forward(Softmax(axis: 1, coerced: true), [x])[0]
        for n in 0..<2 {
            #expect(isClose(Array(coerced.floats[n * 12 ..< n * 12 + 12]), reference(Array(x.floats[n * 12 ..< n * 12 + 12]))))
        }
        // Negative axis: the last one, either way.
        let last = try forward(Softmax(axis: -1, coerced: false), [x])[0]
        #expect(isClose(Array(last.floats[0..<4]), reference(Array(x.floats[0..<4]))))
    }

    @Test func largeInputsDoNotOverflow() throws {
        let y = try forward(Softmax(axis: -1, coerced: false), [Tensor(shape: [1, 3], floats: [1000, 1001, 1002])])[0]
        #expect(isClose(y.floats, reference([0, 1, 2])))
    }

    @Test func gradientMatchesFiniteDifferences() throws {
        var random = TestRandom(seed: 21)
        let x = random.tensor([2, 3, 4], in: -2...2)
        for (axis, coerced) in [(1, false), (2, false), (-3, false), (1, true), (2, true), (0, true)] {
            try expectGradientMatchesFiniteDifferences(Softmax(axis: axis, coerced: coerced), [x], wrt: [0])
        }
    }

    @Test func replicasWhenGroupsStayInsideAnImage() throws {
        var random = TestRandom(seed: 22)
        let x = random.tensor([1, 3, 4])
        try expectReplicasMatchSeparatePasses(Softmax(axis: 1, coerced: false), [x], wrt: [0])
        try expectReplicasMatchSeparatePasses(Softmax(axis: 1, coerced: true), [x], wrt: [0])
        try expectReplicasUnsupported(Softmax(axis: 0, coerced: false), [x], wrt: [0])
    }

    @Test func badAxisIsRejected() {
        expectInvalid("axis 3 is out of range") { _ = try forward(Softmax(axis: 3, coerced: false), [Tensor.zeros([2, 3, 4])]) }
    }
}
