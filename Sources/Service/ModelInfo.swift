import Explain
import Models

/// `GET /models`: what the server has loaded, and what it could not load.
struct ModelList: Encodable {
    struct Summary: Encodable {
        let name: String
        let classes: Int
        let input: InputSize
        let scores: String
        let defaultLayer: String

        enum CodingKeys: String, CodingKey {
            case name, classes, input, scores
            case defaultLayer = "default_layer"
        }
    }

    struct Unavailable: Encodable {
        let name: String
        let reason: String
    }

    let models: [Summary]
    let unavailable: [Unavailable]
}

struct InputSize: Encodable {
    let width: Int
    let height: Int
}

/// `GET /models/{name}`: everything a client needs to ask for an explanation.
struct ModelDetail: Encodable {
    struct LayerInfo: Encodable {
        let name: String
        let node: String
        let op: String
        let shape: [Int]
        let layout: String
        let aliases: [String]
    }

    struct PreprocessingInfo: Encodable {
        let color: String
        let scale: Float
        let mean: [Float]
        let std: [Float]
        let size: [Int]
        let resize: String
        let shorterSide: Int?
        let layout: String

        enum CodingKeys: String, CodingKey {
            case color, scale, mean, std, size, resize, layout
            case shorterSide = "shorter_side"
        }
    }

    let name: String
    let file: String
    let sha256: String?
    let source: String?
    let license: String?
    let classes: Int
    let labels: [String]
    let preprocessing: PreprocessingInfo
    let scores: String
    let defaultLayer: String
    let layerAliases: [String: String]
    let layers: [LayerInfo]
    let methods: [String]
    /// The registry's methods with what each computes: what the demo page lists.
    let methodDetails: [MethodInfo]

    enum CodingKeys: String, CodingKey {
        case name, file, sha256, source, license, classes, labels, preprocessing, scores, layers, methods
        case defaultLayer = "default_layer"
        case layerAliases = "layer_aliases"
        case methodDetails = "method_details"
    }

    struct MethodInfo: Encodable {
        let name: String
        let summary: String
        /// Whether the map depends on the explained layer.
        let usesLayer: Bool
        /// Whether the method's map is an input attribution `[C, H, W]` (`"channels"` in the document).
        let inputAttribution: Bool

        enum CodingKeys: String, CodingKey {
            case name, summary
            case usesLayer = "uses_layer"
            case inputAttribution = "input_attribution"
        }
    }

    init(_ m: LoadedModel) {
        name = m.name
        file = String(m.path.split(separator: "/").last ?? "")
        sha256 = m.sha256
        source = m.source
        license = m.license
        classes = m.labels.count
        labels = m.labels
        let p = m.preprocessing
        preprocessing = PreprocessingInfo(color: p.color.rawValue, scale: p.scale, mean: p.mean, std: p.std,
                                          size: [p.height, p.width], resize: p.resize.rawValue,
                                          shorterSide: p.resize == .centerCrop ? p.shorterSide : nil, layout: p.layout.rawValue)
        scores = m.scores.rawValue
        defaultLayer = m.defaultLayer.name
        layerAliases = m.layerAliases
        layers = m.explainable.layers.map {
            LayerInfo(name: $0.name, node: $0.node, op: $0.op, shape: $0.shape, layout: $0.layout.rawValue, aliases: m.aliases(of: $0))
        }
        methods = Method.allNames
        methodDetails = Method.registry.map {
            MethodInfo(name: $0.name, summary: $0.summary, usesLayer: $0.usesLayer, inputAttribution: $0.attributesInput)
        }
    }
}

extension ModelList.Summary {
    init(_ m: LoadedModel) {
        name = m.name
        classes = m.labels.count
        input = InputSize(width: m.preprocessing.width, height: m.preprocessing.height)
        scores = m.scores.rawValue
        defaultLayer = m.defaultLayer.name
    }
}
