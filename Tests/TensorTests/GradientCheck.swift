import TestSupport
import Testing
@testable import Tensor

/// Deterministic pseudo-random test data, drawn from SplitMix64.
struct TestRandom {
    private var generator: SplitMix64

    init(seed: UInt64) {
        generator = SplitMix64(seed: seed)
    }

    mutating func next() -> UInt64 {
        generator.next()
    }

    mutating func uniform(_ range: ClosedRange<Float> = -1...1) -> Float {
        range.lowerBound + (range.upperBound - range.lowerBound) * Float(next() >> 40) / Float(1 << 24)
    }

    /// Uniform values in `range`.
    mutating func tensor(_ shape: [Int], in range: ClosedRange<Float> = -1...1) -> Tensor {
        Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { _ in uniform(range) })
    }

    /// Values at least `gap` apart, in random order, centred on 0: no ties, so maxima and
    /// kinks stay farther than a finite-difference step away.
    mutating func distinct(_ shape: [Int], gap: Float = 0.05) -> Tensor {
        let count = shape.reduce(1, *)
        var values = (0..<count).map { (Float($0) - Float(count) / 2) * gap }
        for i in stride(from: count - 1, to: 0, by: -1) { values.swapAt(i, Int(next() % UInt64(i + 1))) }
        return Tensor(shape: shape, floats: values)
    }

    /// Values whose magnitudes are at least `margin` (away from a kink at 0).
    mutating func awayFromZero(_ shape: [Int], margin: Float = 0.1) -> Tensor {
        Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { _ in
            let v = uniform(margin...1)
            return next() % 2 == 0 ? v : -v
        })
    }
}

/// Runs `op` forward and returns its outputs.
func forward(_ op: any Operator, _ inputs: [Tensor?], outputs: Int = 1, threads: Int = 1) throws -> [Tensor] {
    var results = Array(repeating: Tensor.empty, count: outputs)
    try op.forward(inputs, into: &results, workspace: Workspace(threads: threads))
    return results
}

/// Runs `op`'s VJP after a forward pass on `inputs`, handing it what the executor would
/// keep: the inputs and outputs named in `backwardUses` (the others absent, as if
/// recycled) and every input's shape. So every gradient test also checks the declaration.
func backward(
    _ op: any Operator, _ inputs: [Tensor?], gradient: Tensor, wrt: [Int], rule: RectifierRule = .standard, threads: Int = 1
) throws -> [Tensor] {
    let outputs = try forward(op, inputs, threads: threads)
    let uses = op.backwardUses
    let context = BackwardContext(rule: rule, workspace: Workspace(threads: threads), inputShapes: inputs.map { $0?.shape })
    let kept = inputs.indices.map { uses.inputs.contains($0) ? inputs[$0] : nil }
    return try op.backward(gradient, inputs: kept, outputs: uses.outputs ? outputs : outputs.map { _ in .empty },
                           wrt: wrt, context: context)
}

/// Checks `op`'s VJP against central finite differences for each input in `wrt`.
///
/// With a random `v` shaped like output 0, the VJP's element `i` must match
/// `(⟨v, f(x + h·e_i)⟩ − ⟨v, f(x − h·e_i)⟩) / 2h` (dot products in Double) within
/// `tolerance · max(1, |expected|)`. Inputs must keep every kink farther than `step` away.
func expectGradientMatchesFiniteDifferences(
    _ op: any Operator, _ inputs: [Tensor?], wrt: [Int], step: Float = 1e-2, tolerance: Float = 2e-3,
    seed: UInt64 = 1, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    var random = TestRandom(seed: seed)
    let output = try forward(op, inputs)[0]
    let v = random.tensor(output.shape)
    let analytic = try backward(op, inputs, gradient: v, wrt: wrt)
    #expect(analytic.count == wrt.count, sourceLocation: sourceLocation)
    func objective(_ inputs: [Tensor?]) throws -> Double {
        let y = try forward(op, inputs)[0]
        return zip(y.floats, v.floats).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }
    for (position, gradient) in zip(wrt, analytic) {
        let x = inputs[position]!
        #expect(gradient.shape == x.shape, "gradient shape for input \(position)", sourceLocation: sourceLocation)
        var worst: (index: Int, analytic: Float, numeric: Float)?
        for i in 0..<x.count {
            var shifted = inputs
            shifted[position]!.floats[i] = x.floats[i] + step
            let plus = try objective(shifted)
            shifted[position]!.floats[i] = x.floats[i] - step
            let minus = try objective(shifted)
            let numeric = Float((plus - minus) / (2 * Double(step)))
            if abs(numeric - gradient.floats[i]) > tolerance * max(1, abs(numeric)), worst == nil {
                worst = (i, gradient.floats[i], numeric)
            }
        }
        #expect(worst == nil, "\(op.opType) input \(position): first mismatch \(String(describing: worst))",
                sourceLocation: sourceLocation)
    }
}

/// Checks that a VJP carrying `replicas` gradients through a batch-1 forward pass equals
/// that many separate VJPs, stacked along dimension 0.
func expectReplicasMatchSeparatePasses(
    _ op: any Operator, _ inputs: [Tensor?], wrt: [Int], replicas: Int = 3, rule: RectifierRule = .standard,
    seed: UInt64 = 2, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    var random = TestRandom(seed: seed)
    let output = try forward(op, inputs)[0]
    #expect(output.shape.first == 1, "replica checks need a batch-1 output", sourceLocation: sourceLocation)
    let seeds = (0..<replicas).map { _ in random.tensor(output.shape) }
    let stacked = Tensor(shape: [replicas] + output.shape.dropFirst(), floats: seeds.flatMap(\.floats))
    let together = try backward(op, inputs, gradient: stacked, wrt: wrt, rule: rule)
    let separate = try seeds.map { try backward(op, inputs, gradient: $0, wrt: wrt, rule: rule) }
    for (k, position) in wrt.enumerated() {
        let expected = separate.flatMap { $0[k].floats }
        #expect(together[k].shape == [replicas] + inputs[position]!.shape.dropFirst(), sourceLocation: sourceLocation)
        #expect(isClose(together[k].floats, expected, tolerance: 1e-5),
                "\(op.opType) input \(position): replicas differ from separate passes", sourceLocation: sourceLocation)
    }
}

/// Checks that a VJP with replicas for input `position` throws `replicasUnsupported`.
func expectReplicasUnsupported(
    _ op: any Operator, _ inputs: [Tensor?], wrt: [Int], sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let output = try forward(op, inputs)[0]
    let gradient = Tensor.filled([3] + output.shape.dropFirst(), with: 1)
    #expect(throws: EngineError.replicasUnsupported(op: op.opType), sourceLocation: sourceLocation) {
        try backward(op, inputs, gradient: gradient, wrt: wrt)
    }
}

/// Elementwise `|a − b| ≤ tolerance · max(1, |b|)`, with equal counts.
func isClose(_ a: [Float], _ b: [Float], tolerance: Float = 1e-6) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
}

/// Expects `body` to throw `EngineError.invalid` whose message contains `fragment`.
func expectInvalid(
    _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected an error mentioning '\(fragment)'", sourceLocation: sourceLocation)
    } catch let EngineError.invalid(_, message) {
        #expect(message.contains(fragment), "message: \(message)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected EngineError.invalid, got \(error)", sourceLocation: sourceLocation)
    }
}
