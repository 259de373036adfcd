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
    /// that is not `Method.isBatchable`, a dilated network, several classes (batched images
    /// carry one class each, nil meaning their own top-1), or metrics (their passes are per
    /// request, after its explanation).
    public static func batchKey(model: LoadedModel, options: ExplainOptions) -> BatchKey? {
        guard options.method.isBatchable, !options.dilate, options.metrics.isEmpty,
              options.classes.count == 1 || (options.classes.isEmpty && options.topClasses == 1) else { return nil }
        return BatchKey(model: ObjectIdentifier(model), inputShape: model.explainable.inputShape,
                        method: options.method, parameters: options.parameters, layers: options.layers)
    }

    /// Explains `requests` for `model` as `explain` does each, with one forward and one
    /// backward pass for all those sharing the first one's `batchKey` (the others, and any
    /// request when only one is left, run alone). Returns one result per request, in order:
    /// a request that fails (an undecodable image, an unknown class) fails alone. When the
    /// whole batch stops (`cancellation`), every request not yet done fails with `Stopped`.
    public func explain(batch requests: [BatchRequest], model: LoadedModel) -> [Result<Output, any Error>] {
        let key = requests.first.flatMap { Self.batchKey(model: model, options: $0.options) }
        let joins = requests.map { request in key != nil && Self.batchKey(model: model, options: request.options) == key }
        // The others run alone, one after the other: they share the session's explainer.
        var results = zip(requests, joins).map { request, joins -> Result<Output, any Error>? in
            joins ? nil : Result { try explain(request.bytes, model: model, options: request.options, render: request.render) }
        }
        // Decoding, preprocessing and documents are per image: they run on all the session's
        // threads, which the batched passes use too, rather than leaving all but one idle.
        let prepared: [Result<PreparedRequest, any Error>?] = eachInParallel(requests.count) { index in
            let request = requests[index]
            return joins[index] ? Result { try self.prepared(.encoded(request.bytes), model: model, options: request.options,
                                                             render: request.render) } : nil
        }
        var members: [(index: Int, request: PreparedRequest)] = []
        for (index, result) in prepared.enumerated() {
            switch result {
            case .success(let request): members.append((index, request))
            case .failure(let error): results[index] = .failure(error)
            case nil: break
            }
        }
        if let first = members.first {
            let options = requests[first.index].options
            do {
                let explanations = try explainer(for: model.explainable, id: ObjectIdentifier(model), kept: true).explain(
                    batch: members.map { Explainer.BatchItem(input: $0.request.input, classIndex: $0.request.classes.first) },
                    method: options.method, layers: first.request.layers, parameters: options.parameters)
                let outputs = eachInParallel(members.count) { m in
                    let (member, request) = (members[m], requests[members[m].index])
                    return Result {
                        try output(member.request, explanations[m].get(), model: model, options: request.options, render: request.render)
                    }
                }
                for (member, output) in zip(members, outputs) { results[member.index] = output }
            } catch {
                for member in members { results[member.index] = .failure(error) }
            }
        }
        return results.map { $0! }
    }

    /// `[body(0), ..., body(count − 1)]`, computed on up to `threads` threads; `body` must only
    /// read shared state.
    private func eachInParallel<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
        let slots = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
        slots.initialize(repeating: nil)
        defer {
            _ = slots.deinitialize()
            slots.deallocate()
        }
        Workspace(threads: threads).parallelChunks(count) { range in
            for index in range { slots[index] = body(index) }
        }
        return slots.map { $0! }
    }
}
