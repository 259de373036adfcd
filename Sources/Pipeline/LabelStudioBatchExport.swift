import Foundation

/// `--export label-studio`: `label-studio.json`, the batch as Label Studio tasks with
/// `predictions` (the import format of a project's *Import* dialog and of label-studio-sdk's
/// `import_tasks`), written at the end from every record of `results.jsonl`:
///
/// ```json
/// [{"data": {"image": "/data/a.png"},
///   "predictions": [{"model_version": "shapes-vgg", "score": 0.99, "result": [
///     {"type": "rectanglelabels", "value": {"x": 12.5, "y": 20, "width": 40, "height": 35, ...}},
///     {"type": "brushlabels", "value": {"format": "rle", "rle": [...], ...}}]}]}]
/// ```
///
/// Each task is ``LabelStudioExport/task(_:imageReference:config:modelVersion:threshold:)`` of
/// the image's newest document, with the standard labeling config (a `RectangleLabels` and a
/// `BrushLabels` over `image`, the explained classes as labels), the brush mask at `threshold`
/// times the map's maximum. `data.image` is the image's path as the batch read it: rewrite it
/// to a URL Label Studio can serve (local storage, `/data/local-files/?d=...`) before importing.
public struct LabelStudioBatchExport: BatchExport {
    public static let fileName = "label-studio.json"
    public let threshold: Float
    public var name: String { "label-studio" }
    public var needsClassMap: Bool { true }

    public init(threshold: Float = LabelStudioExport.defaultThreshold) {
        self.threshold = threshold
    }

    public func finish(_ journal: BatchJournal, labels: [String]) throws {
        var tasks: [LabelStudioTask] = []
        try journal.forEachRecord {
            tasks.append(LabelStudioExport.task($0.document, imageReference: $0.path, threshold: threshold))
        }
        try BatchExports.write(DocumentEncoding.json(tasks), named: Self.fileName, folder: nil, in: journal.directory)
    }
}
