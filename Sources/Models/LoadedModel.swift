import Explain
import Synchronization
import Tensor

/// A model ready to serve: its prepared graph, labels, preprocessing and layer names.
/// Immutable and shared by all workers.
public final class LoadedModel: Sendable {
    public let name: String
    public let path: String
    public let sha256: String?
    public let source: String?
    public let license: String?
    public let labels: [String]
    public let preprocessing: Preprocessing
    public let scores: ScoreFunction
    /// Friendly layer names (e.g. `conv5_3`) mapped to tensor or node names.
    public let layerAliases: [String: String]
    public let explainable: ExplainableModel
    public let defaultLayer: Layer
    public let opset: Int
    public let producer: String
    /// Dilated variants made so far, by layer name.
    private let dilatedVariants = Mutex<[String: ExplainableModel]>([:])

    init(name: String, path: String, entry: Manifest.Entry?, opset: Int, producer: String,
         labels: [String]?, preprocessing: Preprocessing, explainable: ExplainableModel) throws(ModelError) {
        self.name = name
        self.path = path
        sha256 = entry?.sha256
        source = entry?.source
        license = entry?.license
        self.labels = labels ?? Labels.indices(explainable.classCount)
        self.preprocessing = preprocessing
        scores = entry?.scores ?? .softmax
        layerAliases = entry?.layerAliases ?? [:]
        self.explainable = explainable
        self.opset = opset
        self.producer = producer
        if let name = entry?.defaultLayer {
            do {
                defaultLayer = try explainable.layer(named: name, aliases: layerAliases)
            } catch {
                throw .load(model: self.name, reason: "default_layer: \(error)")
            }
        } else {
            defaultLayer = explainable.defaultLayer
        }
        for (alias, target) in layerAliases {
            do {
                _ = try explainable.layer(named: target)
            } catch {
                throw .load(model: self.name, reason: "layer alias '\(alias)': \(error)")
            }
        }
    }

    /// A model made in code (no file): ImageNet-style preprocessing unless given, labels
    /// as indices. Used by `gradcam bench` for architectures built with random weights.
    public convenience init(name: String, graph: Graph, preprocessing: Preprocessing = .imageNet()) throws {
        let explainable: ExplainableModel
        do {
            explainable = try ExplainableModel(graph: graph, inputShape: preprocessing.inputShape, inputLayout: preprocessing.layout)
        } catch {
            throw ModelError.load(model: name, reason: "\(error)")
        }
        try self.init(name: name, path: "", entry: nil, opset: 17, producer: "gradcam", labels: nil,
                      preprocessing: preprocessing, explainable: explainable)
    }

    /// The layer for a user's name: an alias, a tensor name or a node name.
    public func layer(named name: String) throws -> Layer {
        try explainable.layer(named: name, aliases: layerAliases)
    }

    /// The dilated equivalent of the network at `layer`, made once and kept.
    public func dilated(at layer: Layer) throws -> ExplainableModel {
        if let variant = dilatedVariants.withLock({ $0[layer.name] }) { return variant }
        let variant = try explainable.dilated(at: layer)
        dilatedVariants.withLock { $0[layer.name] = variant }
        return variant
    }

    /// Aliases that name `layer`, sorted.
    public func aliases(of layer: Layer) -> [String] {
        layerAliases.filter { $0.value == layer.name || $0.value == layer.node }.map(\.key).sorted()
    }
}
