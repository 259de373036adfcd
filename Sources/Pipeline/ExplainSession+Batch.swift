import Explain
import Models
import Tensor

extension ExplainSession {
    /// One explanation request of a batch: an encoded image and what to explain in it.
    public struct BatchRequest: Sendable {
        public var bytes: [UInt8]
        public var options: ExplainOptions
        /// Make the overlay and guided images (for PNG output).
        public var render: Bool

        public init(bytes: [UInt8], options: ExplainOptions, render: Bool) {
            self.bytes = bytes
            self.options = options
            self.render = render
        }
    }

    /// What requests must share to be explained in one batched pass: the model (and so its
    /// input size: every image is preprocessed to the model's `[1, C, H, W]`), the method, its
    /// parameters and the layers. Options that only shape the answer (format, colormap, alpha, top) may differ.
    public struct BatchKey: Hashable, Sendable {
        let model: ObjectIdentifier
        let inputShape: [Int]
        let method: Method
        let parameters: MethodParameters
        let layers: [String]
    }

    /// The key of a request that can join a batch, or nil when it must run alone: a method
    /// that is not `Method.isBatchable`, a dilated network, or several classes (batched
    /// images carry one class each, nil meaning their own top-1).
    public static func batchKey(model: LoadedModel, options: ExplainOptions) -> BatchKey? {
        guard options.method.isBatchable, !options.dilate, options.classes.count <= 1 else { return nil }
        return BatchKey(model: ObjectIdentifier(model), inputShape: model.explainable.inputShape,
                        method: options.method, parameters: options.parameters, layers: options.layers)
    }

    /// Explains `requests` for `model` as `explain` does each, with one forward and one
    /// backward pass for all those sharing the first one's `batchKey` (the others, and any
    /// request when only one is left, run alone). Returns one result per request, in order:
    /// a request that fails (an undecodable image, an unknown class) fails alone. When the
    /// whole batch stops (`cancellation`), every request not yet done fails with `Stopped`.
    public func explain(batch requests: [BatchRequest], model: LoadedModel) -> [Result<Output, any Error>] {
        var results = [Result<Output, any Error>?](repeating: nil, count: requests.count)
        let key = requests.first.flatMap { Self.batchKey(model: model, options: $0.options) }
        var members: [(index: Int, request: PreparedRequest)] = []
        for (index, request) in requests.enumerated() {
            guard let key, Self.batchKey(model: model, options: request.options) == key else {
                results[index] = Result { try explain(request.bytes, model: model, options: request.options, render: request.render) }
                continue
            }
            do {
                members.append((index, try prepared(.encoded(request.bytes), model: model, options: request.options, render: request.render)))
            } catch {
                results[index] = .failure(error)
            }
        }
        if let first = members.first {
            let options = requests[first.index].options
            do {
                let explanations = try explainer(for: model.explainable, id: ObjectIdentifier(model), kept: true).explain(
                    batch: members.map { Explainer.BatchItem(input: $0.request.input, classIndex: $0.request.classes.first) },
                    method: options.method, layers: first.request.layers, parameters: options.parameters)
                for (member, explanation) in zip(members, explanations) {
                    let request = requests[member.index]
                    results[member.index] = Result {
                        try output(member.request, explanation.get(), model: model, options: request.options, render: request.render)
                    }
                }
            } catch {
                for member in members { results[member.index] = .failure(error) }
            }
        }
        return results.map { $0! }
    }
}
