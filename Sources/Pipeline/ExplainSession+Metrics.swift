import Explain

extension ExplainSession {
    /// Computes the faithfulness metrics `options` asks for on each class of `explanation`
    /// (its map, the same input, `explainer`'s model: the dilated one when dilating), on this
    /// worker under the request's cancellation, into `request.metrics` and its timings.
    func addMetrics(to request: inout PreparedRequest, _ explanation: Explanation, explainer: Explainer,
                    options: ExplainOptions) throws {
        guard !options.metrics.isEmpty else { return }
        try cancellation?.check()
        let start = ContinuousClock.now
        let input = explainer.model.inputLayout.nchw(request.input)
        request.metrics = try explanation.classes.map { item in
            try FaithfulnessReport(
                options.metrics, input: input, logits: explanation.logits, classIndex: item.classIndex, heatmap: item.heatmap,
                target: request.target, seed: options.metricsSeed, cancellation: cancellation, score: explainer.scores(batch:))
        }
        request.timings.metrics = .now - start
    }
}
