import Explain
import Imaging
import Models
import Tensor

/// Runs requests against loaded models: decode, preprocess, explain, document, render.
/// It keeps one `Explainer` (with its buffers) per model: use one session per worker thread.
public final class ExplainSession {
    public let threads: Int
    public var pixelLimit = Image.defaultPixelLimit
    /// When the current request must stop (its deadline, or its client gone): checked between
    /// the stages and, by the engine, before every node. Set per request (the worker pool does).
    public var cancellation: Cancellation?
    /// When set, the engine adds the time of every node it runs to it (`gradcam bench --profile`).
    public var profile: OperatorProfile?
    private var explainers: [ObjectIdentifier: Explainer] = [:]
    private let clock = ContinuousClock()

    public init(threads: Int) {
        self.threads = threads
    }

    /// The result of `explain`.
    public struct Output: Sendable {
        public var document: ExplanationDocument
        /// The image drawn on: the input decoded and oriented, resized to fit `maxSide` when
        /// rendering (decoded within the pixel budget, possibly reduced, otherwise).
        public var image: Image
        /// Per class, in the document's order (empty unless rendering).
        public var pictures: [ClassPictures]
        public var timings: PipelineTimings
    }

    /// One class's pictures.
    public struct ClassPictures: Sendable {
        /// The class map over the image (methods with a layer).
        public var overlay: Image?
        /// Each of the class's attributions as an image at the input's size, in order, named as
        /// its attribution (`guided_backprop`, `guided_gradcam`).
        public var attributions: [NamedImage]

        /// The picture a PNG answer carries: the method's own attribution, else the overlay.
        public var primary: Image? { attributions.first?.image ?? overlay }
    }

    public struct NamedImage: Sendable {
        public var name: String
        public var image: Image
    }

    /// Explains an encoded image. `render` makes the overlay and guided images (for PNG output).
    public func explain(_ bytes: [UInt8], model: LoadedModel, options: ExplainOptions, render: Bool) throws -> Output {
        try explain(.encoded(bytes), model: model, options: options, render: render)
    }

    /// Explains an image, encoded or decoded; as `explain(_:model:options:render:)` with bytes.
    public func explain(_ image: ImageInput, model: LoadedModel, options: ExplainOptions, render: Bool) throws -> Output {
        var request = try prepared(image, model: model, options: options, render: render)
        var explainable = model.explainable
        if options.dilate {
            guard let deepest = request.layers.last else {
                throw ModelError.invalidRequest("dilate needs a layer-based method, not \(options.method.name)")
            }
            explainable = try model.dilated(at: deepest)
            request.layers = try self.layers(model, options, in: explainable)
        }
        let explainer = explainer(for: explainable, id: ObjectIdentifier(model), kept: !options.dilate)
        let explanation = try explainer
            .explain(request.input, method: options.method, classes: request.classes.isEmpty ? nil : request.classes,
                     topClasses: options.topClasses, layers: request.layers, parameters: options.parameters)
        try addMetrics(to: &request, explanation, explainer: explainer, options: options)
        return try output(request, explanation, model: model, options: options, render: render)
    }

    /// A request decoded and checked, ready for the explainer.
    struct PreparedRequest {
        var image: Image
        var original: ImageSize
        var input: Tensor
        var layers: [Layer]
        var classes: [Int]
        var timings = PipelineTimings()
        /// The pointing game's object at the input's resolution (`options.box`).
        var target: [Bool]?
        /// Per class, the metrics asked for (`addMetrics`).
        var metrics: [FaithfulnessReport]?
    }

    /// Validates `options`, decodes and preprocesses `source`, and resolves the layers (in the
    /// undilated model) and classes.
    func prepared(_ source: ImageInput, model: LoadedModel, options: ExplainOptions, render: Bool) throws -> PreparedRequest {
        try options.validate()
        var timings = PipelineTimings()
        let (image, original, input) = try prepare(source, model: model, renderSide: render ? options.maxSide : nil,
                                                   timings: &timings)
        try cancellation?.check()
        let layers = try options.method.usesLayer ? self.layers(model, options, in: model.explainable) : []
        let classes = try ClassSelector.resolve(options.classes, labels: model.labels, model: model.name)
        let target = try options.box?.target(
            image: original, region: model.preprocessing.visibleRegion(imageWidth: original.width, imageHeight: original.height),
            width: model.preprocessing.width, height: model.preprocessing.height)
        return PreparedRequest(image: image, original: original, input: input, layers: layers, classes: classes, timings: timings,
                               target: target)
    }

    /// The document and (when `render`) the pictures of `explanation`, made for `request`.
    func output(
        _ request: PreparedRequest, _ explanation: Explanation, model: LoadedModel, options: ExplainOptions, render: Bool
    ) throws -> Output {
        let (image, original, layers) = (request.image, request.original, request.layers)
        var timings = request.timings
        timings.forward = explanation.timings.forward
        timings.backward = explanation.timings.backward
        timings.map = explanation.timings.map
        try cancellation?.check()

        let start = clock.now
        let scores = model.scores.scores(explanation.logits)
        let region = model.preprocessing.visibleRegion(imageWidth: original.width, imageHeight: original.height)
        // The part the model saw in the image drawn on, which may be smaller than the original.
        let drawnRegion = model.preprocessing.visibleRegion(imageWidth: image.width, imageHeight: image.height)
        var entries: [ClassMapEntry] = []
        var pictures: [ClassPictures] = []
        for (k, item) in explanation.classes.enumerated() {
            let c = item.classIndex
            let located = Localization.locate(item.heatmap, in: region)
            let map: MapData = item.attributions.first.map(\.values).map {
                MapData(channels: $0.shape[0], width: $0.shape[2], height: $0.shape[1], data: $0.floats)
            } ?? MapData(channels: nil, width: item.heatmap.width, height: item.heatmap.height, data: item.heatmap.values)
            entries.append(ClassMapEntry(classIndex: c, label: model.labels[c], score: scores[c], logit: explanation.logits[c],
                                         map: map, peak: located?.peak, box: located?.box, zero: item.heatmap.isZero,
                                         metrics: request.metrics?[k]))
            guard render else { continue }
            // A class map (a layer method's, or FullGrad's at the input's resolution) is overlaid.
            let overlay = options.method.usesLayer || !options.method.attributesInput
                ? try Rendering.overlay(item.heatmap, on: image, region: drawnRegion, colormap: options.colormap, alpha: options.alpha)
                : nil
            pictures.append(ClassPictures(overlay: overlay, attributions: item.attributions.map {
                NamedImage(name: $0.name, image: Rendering.gradientImage(
                    $0.values, bgr: model.preprocessing.color == .bgr, region: drawnRegion,
                    imageWidth: image.width, imageHeight: image.height))
            }))
        }
        timings.map += clock.now - start
        let layerName = options.method.usesLayer ? layers.map(\.name).joined(separator: ",") : model.explainable.graph.name(of: model.explainable.input)
        let document = ExplanationDocument(
            model: model.name, layer: layerName, method: options.method.name,
            image: ImageSize(width: original.width, height: original.height), region: region,
            predictions: Self.predictions(explanation.logits, scores: scores, labels: model.labels, top: options.top),
            explanations: entries, parameters: explanation.parameters.isEmpty ? nil : explanation.parameters,
            concepts: explanation.classes.first?.concepts?.map { concept in
                ConceptEntry(map: MapData(channels: nil, width: concept.heatmap.width, height: concept.heatmap.height, data: concept.heatmap.values),
                             topClasses: Self.predictions(concept.logits, scores: model.scores.scores(concept.logits), labels: model.labels,
                                                          top: concept.listedClasses))
            })
        return Output(document: document, image: image, pictures: pictures, timings: timings)
    }

    /// Top-`top` predictions for an encoded image.
    public func predict(_ bytes: [UInt8], model: LoadedModel, top: Int) throws -> (PredictionDocument, PipelineTimings) {
        try predict(.encoded(bytes), model: model, top: top)
    }

    /// Top-`top` predictions for an image, encoded or decoded.
    public func predict(_ image: ImageInput, model: LoadedModel, top: Int) throws -> (PredictionDocument, PipelineTimings) {
        try ExplainOptions.validate(top: top)
        var timings = PipelineTimings()
        let (_, original, input) = try prepare(image, model: model, renderSide: nil, timings: &timings)
        try cancellation?.check()
        let start = clock.now
        let logits = try explainer(for: model.explainable, id: ObjectIdentifier(model), kept: true).predict(input)
        timings.forward = clock.now - start
        let predictions = Self.predictions(logits, scores: model.scores.scores(logits), labels: model.labels, top: top)
        return (PredictionDocument(model: model.name, image: ImageSize(width: original.width, height: original.height),
                                   predictions: predictions), timings)
    }

    /// Floats held by this session's explainers.
    public var heldFloats: Int { explainers.values.reduce(0) { $0 + $1.heldFloats } }

    // MARK: - Steps

    /// Decodes and preprocesses. The model input always comes from the same decode (a JPEG
    /// at the smallest DCT scale that keeps the size preprocessing needs; any image within
    /// the decode pixel budget, see `Image.decode`), so JSON and PNG answers explain exactly
    /// the same input. `renderSide` (when rendering) asks for the image to draw on: decoded
    /// again for a JPEG whose scale was reduced below what that side needs, then resized so
    /// that its longest side is at most `renderSide`. Decoded pixels are taken as they are,
    /// within the same pixel limit.
    func prepare(
        _ source: ImageInput, model: LoadedModel, renderSide: Int?, timings: inout PipelineTimings
    ) throws -> (image: Image, original: ImageSize, input: Tensor) {
        var start = clock.now
        let p = model.preprocessing
        let decoded: Image, original: ImageSize
        var image: Image
        switch source {
        case let .encoded(bytes):
            let file = try Image.decode(bytes, minimumSize: p.minimumDecodeSize(), pixelLimit: pixelLimit)
            (decoded, image) = (file.image, file.image)
            original = ImageSize(width: file.originalWidth, height: file.originalHeight)
            // Only a JPEG's decode depends on the size asked for.
            if let renderSide, file.format == .jpeg {
                let fit = Image.fittedSize(width: original.width, height: original.height, maxSide: renderSide)
                if image.width < fit.width || image.height < fit.height {
                    image = try Image.decode(bytes, minimumSize: fit, pixelLimit: pixelLimit).image
                }
            }
        case let .pixels(pixels):
            guard pixels.width > 0, pixels.height > 0 else { throw ImageDecodingError.zeroSize }
            guard pixels.width.multipliedReportingOverflow(by: pixels.height).partialValue <= pixelLimit else {
                throw ImageDecodingError.tooLarge(width: pixels.width, height: pixels.height, limit: pixelLimit)
            }
            (decoded, image) = (pixels, pixels)
            original = ImageSize(width: pixels.width, height: pixels.height)
        }
        if let renderSide {
            let drawn = Image.fittedSize(width: image.width, height: image.height, maxSide: renderSide)
            if drawn != (image.width, image.height) { image = image.resized(width: drawn.width, height: drawn.height) }
        }
        timings.decode = clock.now - start
        start = clock.now
        let input = p.tensor(from: decoded)
        timings.preprocess = clock.now - start
        return (image, original, input)
    }

    /// The layers `options` names (the model's default when none), looked up in `explainable`
    /// (the model, or its dilated variant).
    private func layers(_ model: LoadedModel, _ options: ExplainOptions, in explainable: ExplainableModel) throws -> [Layer] {
        guard !options.layers.isEmpty else {
            return [try explainable.layer(named: model.defaultLayer.name)]
        }
        return try options.layers.map { try explainable.layer(named: $0, aliases: model.layerAliases) }
    }

    /// The explainer of `explainable`, with the current request's cancellation and the profile. The model's own
    /// explainer is `kept` (by `id`) for its buffers; a dilated variant's is not: its buffers are
    /// many times larger.
    func explainer(for explainable: ExplainableModel, id: ObjectIdentifier, kept: Bool) -> Explainer {
        let explainer = kept ? explainers[id] ?? Explainer(model: explainable, threads: threads)
                             : Explainer(model: explainable, threads: threads)
        if kept { explainers[id] = explainer }
        explainer.cancellation = cancellation
        explainer.profile = profile
        return explainer
    }

    static func predictions(_ logits: [Float], scores: [Float], labels: [String], top: Int) -> [Prediction] {
        let order = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        return order.prefix(top).map { Prediction(classIndex: $0, label: labels[$0], score: scores[$0], logit: logits[$0]) }
    }
}
