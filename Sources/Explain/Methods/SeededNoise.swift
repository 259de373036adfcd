import Tensor

/// The random draws of the noisy methods (SmoothGrad, VarGrad, GradientSHAP, the
/// uniform-noise baseline) come from one SplitMix64 stream (`WeightGenerator`) seeded with
/// the request's `seed`, default `defaultSeed` (normals: `WeightGenerator.fillNormals`, drawn
/// in bulk), in an order each method states, so that a
/// document's seed reproduces its map and a reference can be fed the same noise.
extension MethodParameters {
    /// The seed when the request gives none.
    static let defaultSeed: UInt64 = 0

    /// The request's seed, or `defaultSeed`.
    var seedOrDefault: UInt64 { seed ?? Self.defaultSeed }

    /// `seed` as the document reports it.
    var seedValue: ParameterValue {
        let seed = seedOrDefault
        return seed <= UInt64(Int.max) ? .int(Int(seed)) : .unsigned(seed)
    }
}

/// Noisy copies `x_i = x + σ z_i` of the preprocessed input `x` (SmoothGrad, VarGrad, Smooth
/// Grad-CAM++): `samples` of them (the request's, else the method's default), `σ` the request's
/// `noise_level` (else the method's default), `z_i` `WeightGenerator(seed)` normals,
/// copy after copy, each in channels-first order, as the references are fed.
struct NoisyCopies {
    let samples: Int
    let sigma: Float
    private let x: [Float]
    private var generator: WeightGenerator

    init(_ evidence: Evidence, defaultSamples: Int, defaultNoiseLevel: Float) {
        let parameters = evidence.parameters
        samples = parameters.samples ?? defaultSamples
        sigma = parameters.noiseLevel ?? defaultNoiseLevel
        x = evidence.input.floats
        generator = WeightGenerator(seed: parameters.seedOrDefault)
    }

    /// Writes the next copy into `row` (`C·H·W` values).
    mutating func write(into row: inout ArraySlice<Float>) {
        let start = row.startIndex
        row.withUnsafeMutableBufferPointer { generator.fillNormals($0) }
        for j in x.indices { row[start + j] = x[j] + sigma * row[start + j] }
    }
}
