/// Deep Feature Factorization (Collins et al. 2018), as pytorch-grad-cam's `dff` computes it,
/// for the layer's activations `A [C, h, w]`:
///
/// - `V[c, p] = A[c, p] − min_p A[c, p]` (`[C, h·w]`, non-negative; NaN read as 0), factorized
///   `V ≈ W·H` into `k` concepts (`NonnegativeFactorization`: scikit-learn's `NMF`
///   coordinate descent, started from `seed`'s draws instead of NumPy's `random_state=0`);
/// - concept `j`'s map is `H[j]` at `h x w`, min-max normalized (`Heatmap`);
/// - its embedding `e_j[c] = W[c, j] + min_p A[c, p]` goes through the model's head in place of
///   the pooled features (the library's `computation_on_concepts`, e.g. ResNet's `fc`), giving
///   its logits for every class, so the document lists its top classes.
///
/// Parameters: `n_components` (`k`, at most the layer's channels) and `concept_classes` (the
/// classes listed per concept), by default 5 and 2 as the library's `run_dff_on_image` (its
/// `n_components` and `top_k`); `seed`. A class's own map is the map of the concept its logit
/// is largest in. Needs a layer that feeds a global average pool and a linear head
/// (`Evidence.headScores`), one layer at a time.
struct DeepFeatureFactorization: ExplanationMethod {
    var name: String { "dff" }
    var summary: String { "Deep Feature Factorization: NMF of the layer's activations into n_components (5) concepts, each with its map and the head's top classes" }
    var needs: MethodNeeds { MethodNeeds(layerActivations: true) }

    static let defaultComponents = 5
    static let defaultConceptClasses = 2

    func parameters(_ requested: MethodParameters) -> [String: ParameterValue] {
        ["n_components": .int(requested.nComponents ?? Self.defaultComponents),
         "concept_classes": .int(requested.conceptClasses ?? Self.defaultConceptClasses), "seed": requested.seedValue]
    }

    func explain(_ evidence: Evidence) throws -> [ClassExplanation] {
        guard evidence.layers.count == 1, let layer = evidence.layers.first else {
            throw ExplainError.invalidParameter("dff factorizes one layer at a time; \(evidence.layers.count) were given")
        }
        let a = layer.activations, k = evidence.parameters.nComponents ?? Self.defaultComponents
        guard k <= a.channels else {
            throw ExplainError.invalidParameter("n_components must be at most the layer's \(a.channels) channels (each concept is a mix of channels), got \(k)")
        }
        let listed = evidence.parameters.conceptClasses ?? Self.defaultConceptClasses
        let offsets = (0..<a.channels).map { c in
            a.values[c * a.plane ..< (c + 1) * a.plane].lazy.map { $0.isNaN ? 0 : $0 }.min() ?? 0
        }
        let v = a.values.indices.map { i in Double(a.values[i].isNaN ? 0 : a.values[i]) - Double(offsets[i / a.plane]) }
        let nmf = try NonnegativeFactorization(v, rows: a.channels, columns: a.plane, components: k,
                                               seed: evidence.parameters.seedOrDefault,
                                               cancellation: evidence.explainer.cancellation)
        let embeddings = (0..<k).map { j in (0..<a.channels).map { c in Float(nmf.w[c * k + j] + Double(offsets[c])) } }
        let logits = try evidence.headScores(of: embeddings, at: layer)
        let concepts = (0..<k).map { j in
            Concept(heatmap: Heatmap(raw: nmf.h[j * a.plane ..< (j + 1) * a.plane].map(Float.init), width: a.width, height: a.height),
                    logits: logits[j], listedClasses: listed)
        }
        return evidence.classes.map { cls in
            let best = concepts.indices.max { concepts[$0].logits[cls] < concepts[$1].logits[cls] }!
            return ClassExplanation(classIndex: cls, heatmap: concepts[best].heatmap, attributions: [], concepts: concepts)
        }
    }
}

extension Method {
    public static let dff = Method(DeepFeatureFactorization())
}

extension MethodParameters {
    /// Accepted `n_components`: each concept is a factor of the NMF (`O(k·C·h·w)` work per
    /// iteration), a pass through the head and a map in the document; a concept also needs a
    /// channel of its own, which the method checks (`k ≤ C`).
    public static let nComponentsRange = 1...64
    /// Accepted `concept_classes`: entries per concept in the document, bounded as `top` bounds
    /// the predictions listed (a model with fewer classes lists them all).
    public static let conceptClassesRange = 1...1000
}
