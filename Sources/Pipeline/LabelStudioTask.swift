/// A Label Studio task with pre-annotations, as Label Studio imports it and as its ML backend
/// protocol returns predictions:
///
/// ```json
/// {"data": {"image": "/data/upload/1/cat.png"},
///  "predictions": [{"model_version": "shapes-vgg", "score": 0.98, "result": [
///    {"id": "0-box", "type": "rectanglelabels", "from_name": "box", "to_name": "image",
///     "original_width": 640, "original_height": 480, "image_rotation": 0, "score": 0.98,
///     "value": {"x": 9.4, "y": 6.3, "width": 18.8, "height": 22.9, "rotation": 0, "rectanglelabels": ["circle"]}},
///    {"id": "0-mask", "type": "brushlabels", …, "value": {"format": "rle", "rle": [0, 4, …], "brushlabels": ["circle"]}}]}]}
/// ```
/// Rectangles are in percent of the image (0...100); `rle` is ``LabelStudioRLE``.
public struct LabelStudioTask: Codable, Sendable, Equatable {
    public var data: [String: String]
    public var predictions: [LabelStudioPrediction]
}

/// One model's pre-annotation of a task.
public struct LabelStudioPrediction: Codable, Sendable, Equatable {
    public var modelVersion: String
    /// The highest region score.
    public var score: Float
    public var result: [LabelStudioRegion]

    enum CodingKeys: String, CodingKey {
        case modelVersion = "model_version", score, result
    }
}

/// A region of a prediction: a rectangle or a brush mask with its label.
public struct LabelStudioRegion: Codable, Sendable, Equatable {
    public var id: String
    /// `rectanglelabels` or `brushlabels`.
    public var type: String
    public var fromName: String
    public var toName: String
    public var originalWidth: Int
    public var originalHeight: Int
    public var imageRotation: Int
    /// The class probability.
    public var score: Float
    public var value: Value

    /// A rectangle has `x, y, width, height` (percent) and `rotation`; a mask has `format`
    /// ("rle") and `rle`. Absent keys are left out.
    public struct Value: Codable, Sendable, Equatable {
        public var x: Double?
        public var y: Double?
        public var width: Double?
        public var height: Double?
        public var rotation: Double?
        public var rectanglelabels: [String]?
        public var format: String?
        public var rle: [UInt8]?
        public var brushlabels: [String]?
    }

    enum CodingKeys: String, CodingKey {
        case id, type, fromName = "from_name", toName = "to_name", originalWidth = "original_width",
             originalHeight = "original_height", imageRotation = "image_rotation", score, value
    }
}
