import Explain
import Foundation

/// `--export coco`: `coco.json`, a COCO detection dataset whose annotations are the boxes of
/// the explained classes, written at the end from every record of `results.jsonl`:
///
/// ```json
/// {"info": {"description": "gradcam batch: shapes-vgg, gradcam"},
///  "images": [{"id": 1, "file_name": "/data/a.png", "width": 224, "height": 224, "sha256": "…"}],
///  "categories": [{"id": 0, "name": "circle", "supercategory": ""}, …],
///  "annotations": [{"id": 1, "image_id": 1, "category_id": 0, "bbox": [40, 52, 88, 90],
///                   "area": 7920, "iscrowd": 0, "score": 0.83}]}
/// ```
///
/// One annotation per explained class with a non-zero map: `bbox` (x, y, width, height in the
/// image's pixels) is the box of the largest region of the map at or above `threshold` times
/// its maximum (the document's `box` when `threshold` is the API's 0.5), `score` the class's
/// probability times the map's mean over that region. Category ids are the model's class
/// indices (`class` in the documents). `annotations` is also a valid detection-results list
/// (pycocotools' `COCO.loadRes`).
public struct CocoExport: BatchExport {
    public static let fileName = "coco.json"
    public let threshold: Float
    public var name: String { "coco" }
    public var needsClassMap: Bool { true }

    public init(threshold: Float = Localization.defaultThreshold) {
        self.threshold = threshold
    }

    public func finish(_ journal: BatchJournal, labels: [String]) throws {
        var dataset = Dataset(labels: labels, threshold: threshold)
        try journal.forEachRecord { dataset.add($0) }
        try BatchExports.write(DocumentEncoding.json(dataset), named: Self.fileName, folder: nil, in: journal.directory)
    }

    /// The dataset being gathered; `add` each record, then encode.
    public struct Dataset: Encodable, Sendable {
        public var info: Info
        public var images: [ImageEntry] = []
        public var categories: [Category]
        public var annotations: [Annotation] = []
        let threshold: Float

        public init(labels: [String], threshold: Float) {
            info = Info(description: "gradcam batch")
            categories = labels.enumerated().map { Category(id: $0.offset, name: $0.element) }
            self.threshold = threshold
        }

        /// Adds the record's image and an annotation per explained class with a non-zero map.
        public mutating func add(_ record: BatchRecord) {
            let d = record.document
            if images.isEmpty { info.description = "gradcam batch: \(d.model), \(d.method)" }
            let imageID = images.count + 1
            images.append(ImageEntry(id: imageID, fileName: record.path, width: d.image.width, height: d.image.height,
                                sha256: record.sha256))
            for entry in d.explanations {
                guard let heatmap = BatchRecord.heatmap(of: entry),
                      let located = Localization.locate(heatmap, in: d.region, threshold: threshold) else { continue }
                let box = located.box
                annotations.append(Annotation(
                    id: annotations.count + 1, imageID: imageID, categoryID: entry.classIndex,
                    bbox: [box.x, box.y, box.width, box.height], area: box.width * box.height,
                    score: entry.score * located.strength))
            }
        }

        enum CodingKeys: String, CodingKey { case info, images, categories, annotations }
    }

    public struct Info: Encodable, Sendable {
        public var description: String
    }

    public struct ImageEntry: Encodable, Sendable, Equatable {
        public var id: Int
        public var fileName: String
        public var width: Int
        public var height: Int
        public var sha256: String
        enum CodingKeys: String, CodingKey { case id, fileName = "file_name", width, height, sha256 }
    }

    public struct Category: Encodable, Sendable, Equatable {
        public var id: Int
        public var name: String
        public var supercategory = ""
        enum CodingKeys: String, CodingKey { case id, name, supercategory }
    }

    public struct Annotation: Encodable, Sendable, Equatable {
        public var id: Int
        public var imageID: Int
        public var categoryID: Int
        public var bbox: [Int]
        public var area: Int
        public var iscrowd = 0
        public var score: Float
        enum CodingKeys: String, CodingKey {
            case id, imageID = "image_id", categoryID = "category_id", bbox, area, iscrowd, score
        }
    }
}
