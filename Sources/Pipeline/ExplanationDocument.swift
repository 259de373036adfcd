import Explain
import Models

/// The JSON document of `gradcam explain --format json` and `POST /gradcam?format=json`:
///
/// ```json
/// {"model": "shapes-vgg", "layer": "…", "method": "gradcam",
///  "image": {"width": 640, "height": 480}, "region": {"x": 80, "y": 0, "width": 480, "height": 480},
///  "predictions": [{"class": 0, "label": "circle", "score": 0.98, "logit": 4.1}],
///  "explanations": [{"class": 0, "label": "circle", "score": 0.98, "logit": 4.1,
///                    "map": {"width": 14, "height": 14, "data": [0.0, …]},
///                    "peak": {"x": 120, "y": 88}, "box": {"x": 60, "y": 30, "width": 120, "height": 110},
///                    "zero": false}]}
/// ```
/// `map` is at the layer's resolution, values in 0...1, row-major; guided methods give
/// `"channels": 3` and CHW data at the model's input size (raw gradients). `peak` and
/// `box` are in the input image's pixels; both are null when `zero` is true. `region` is the
/// part of the image the model saw (all of it, or the centre crop), where the map lies.
/// `dff` adds `"concepts": [{"map": {…}, "top_classes": [{"class": …, …}]}]`.
public struct ExplanationDocument: Codable, Sendable, Equatable {
    public var model: String
    /// The explained layer's tensor name; fused layers are joined by commas.
    public var layer: String
    public var method: String
    public var image: ImageSize
    public var region: Region
    public var predictions: [Prediction]
    public var explanations: [ClassMapEntry]
    /// The method's parameter values, its defaults filled in; absent for methods without any.
    public var parameters: [String: ParameterValue]?
    /// The concepts a factorizing method (`dff`) found in the layer; absent for the others.
    public var concepts: [ConceptEntry]? = nil
}

/// One concept of `dff`: its map at the layer's resolution (in 0...1, like a class map) and
/// the classes the model's head scores highest for it (`score` as in `predictions`).
public struct ConceptEntry: Codable, Sendable, Equatable {
    public var map: MapData
    /// The concept's classes of largest logit, largest first: `dff`'s `concept_classes` of them.
    public var topClasses: [Prediction]

    enum CodingKeys: String, CodingKey {
        case map, topClasses = "top_classes"
    }
}

/// `gradcam predict --format json` and `POST /predict`.
public struct PredictionDocument: Codable, Sendable, Equatable {
    public var model: String
    public var image: ImageSize
    public var predictions: [Prediction]
}

public struct ImageSize: Codable, Sendable, Equatable {
    public var width: Int
    public var height: Int
}

/// A class with its score: `score` is the model's probability (softmax, or sigmoid for
/// multi-label models), `logit` the pre-activation score.
public struct Prediction: Codable, Sendable, Equatable {
    public var classIndex: Int
    public var label: String
    public var score: Float
    public var logit: Float

    enum CodingKeys: String, CodingKey {
        case classIndex = "class", label, score, logit
    }
}

public struct Point: Codable, Sendable, Equatable {
    public var x: Int
    public var y: Int
}

/// A map's values: `channels` (present only for guided methods) planes of `height x width`.
public struct MapData: Codable, Sendable, Equatable {
    public var channels: Int?
    public var width: Int
    public var height: Int
    public var data: [Float]
}

public struct ClassMapEntry: Codable, Sendable, Equatable {
    public var classIndex: Int
    public var label: String
    public var score: Float
    public var logit: Float
    public var map: MapData
    public var peak: Point?
    public var box: Region?
    public var zero: Bool
    /// The faithfulness metrics asked for (`metrics=`), by name; absent when none were.
    public var metrics: FaithfulnessReport? = nil

    enum CodingKeys: String, CodingKey {
        case classIndex = "class", label, score, logit, map, peak, box, zero, metrics
    }

    /// Writes `peak` and `box` as null rather than leaving them out, so every key is always
    /// there (but `metrics`, which only requests that ask for it carry).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(classIndex, forKey: .classIndex)
        try c.encode(label, forKey: .label)
        try c.encode(score, forKey: .score)
        try c.encode(logit, forKey: .logit)
        try c.encode(map, forKey: .map)
        try c.encode(peak, forKey: .peak)
        try c.encode(box, forKey: .box)
        try c.encode(zero, forKey: .zero)
        try c.encodeIfPresent(metrics, forKey: .metrics)
    }
}
