import CKernels
import Foundation
import Testing
@testable import Tensor

/// The C kernels' own error function, logistic function and fused GELU (`elementwise.c`,
/// `activation.h`) against libm's in Double, over a dense grid and the extremes, at counts
/// that leave a tail after the last whole vector.
@Suite struct ElementwiseKernelTests {
    /// −8 to 8 in steps of 2⁻¹², the tiny and huge magnitudes, signed zero: 65,544 values.
    static let grid: [Float] = (-32768...32768).map { Float($0) / 4096 }
        + [1e-30, -1e-30, 1e-10, 1e-5, -1e-5, 30, -30, 1e30, -1e30, -0.0]

    /// `kernel(x, y, count)` over `x`.
    func values(_ x: [Float], _ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> [Float] {
        var y = [Float](repeating: .nan, count: x.count)
        x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { kernel(xp.baseAddress!, $0.baseAddress!, x.count) } }
        return y
    }

    @Test func erfIsWithin5e7OfLibm() {
        let y = values(Self.grid) { erf_values($0, $1, $2) }
        for (x, v) in zip(Self.grid, y) {
            let reference = Foundation.erf(Double(x))
            // Absolute 5e-7, and relative 1e-6 near 0 where erf(x) ≈ 1.128 x.
            #expect(abs(Double(v) - reference) <= min(5e-7, 1e-6 * abs(reference) + 1e-37), "erf(\(x)) = \(v), libm \(reference)")
        }
    }

    @Test func logisticIsWithin2e7RelativeOfLibm() {
        let x = Self.grid.map { $0 * 12 } + [-86, -87.5, -88, -100, -1e30]
        let y = values(x) { logistic_values($0, $1, $2) }
        for (x, v) in zip(x, y) {
            let reference = 1 / (1 + Foundation.exp(-Double(x)))
            // Below −87 the value is under 1.7e-38 and given as 0.
            #expect(x < -87 ? v == 0 && reference < 1.7e-38 : abs(Double(v) - reference) <= 2e-7 * reference,
                    "σ(\(x)) = \(v), libm \(reference)")
        }
    }

    /// GELU's error is erf's times |x| / 2 (and rounding): 3e-7 · max(1, |x|).
    @Test func fusedGELUIsWithin3e7TimesXOfLibm() {
        var y = Self.grid
        var description = FusedActivation.gelu.kernelDescription
        y.withUnsafeMutableBufferPointer { yp in activation_apply(yp.baseAddress!, yp.count, &description) }
        for (x, v) in zip(Self.grid, y) {
            let reference = Double(x) * 0.5 * (1 + Foundation.erf(Double(x) / 2.0.squareRoot()))
            #expect(abs(Double(v) - reference) <= 3e-7 * max(1, abs(Double(x))), "GELU(\(x)) = \(v), libm \(reference)")
        }
    }

    /// The operators that run them: `Sigmoid` and `Erf` forward, across threads and chunks.
    @Test func operatorsUseThemAcrossChunks() throws {
        let x = Tensor(shape: [Self.grid.count], floats: Self.grid)
        let sigmoid = try forward(Sigmoid(), [x], threads: 2)[0].floats
        let erf = try forward(UnaryFunction(.erf), [x], threads: 2)[0].floats
        #expect(sigmoid == values(Self.grid) { logistic_values($0, $1, $2) })
        #expect(erf == values(Self.grid) { erf_values($0, $1, $2) })
    }
}
