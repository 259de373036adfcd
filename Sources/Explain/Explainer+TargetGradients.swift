import Tensor

extension Explainer {
    /// The gradients to `layers` of `R` targets made of the logits, `T_r = Σ_i seeds[r, i]·s_i`
    /// (`seeds [R, classes]`, flattened), at `input` (`[1, C, H, W]`, channels first), the input
    /// of the last explained pass: one `[R, C, h, w]` per layer, channels first.
    ///
    /// One backward pass over the explained forward pass's values when it is still the
    /// executor's last and kept what the pass reads (a method needing `targetGradients` makes
    /// it prepare the layers' plan); otherwise, after another method's passes, that forward
    /// pass again first.
    func layerGradients(at input: Tensor, layers: [Layer], seeds: [Float]) throws -> [Tensor] {
        let plan = try BackwardPlan(graph: model.graph, from: model.logits, to: Set(layers.map(\.value)))
        let kept = executor.keptValues
        let reusable = explainedPass == executor.forwardCount
            && plan.retained.allSatisfy { kept.contains($0) || model.graph.constants[$0] != nil }
        if !reusable {
            try executor.forward([model.input: model.inputLayout.fromNCHW(input)], preparing: [plan])
            explainedPass = executor.forwardCount
        }
        let rows = seeds.count / model.classCount
        let seed = Tensor(shape: [rows, model.classCount], floats: seeds)
            .reshaped([rows] + model.shapes[model.logits.index]!.dropFirst())
        let gradients = try executor.backward(plan, seed: seed)
        return try layers.map { try $0.layout.nchw(gradients.tensor($0.value)) }
    }
}
