import Explain
import Foundation
import Models
@testable import Pipeline

/// A fresh empty directory under the system's temporary folder, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    var path: String { url.path }

    func file(_ name: String, _ text: String) throws -> String {
        let path = url.appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// A batch record of a 224x224 image whose one explained class has `values` as its map,
/// with the box and peak `ExplainSession` would give it.
func batchRecord(path: String, sha256: String = String(repeating: "ab", count: 32), values: [Float] = [0, 0.2, 0.1, 0, 0.3, 1, 0.6, 0, 0, 0.5, 0.2, 0, 0, 0, 0, 0],
                 side: Int = 4, classIndex: Int = 2, score: Float = 0.8, region: Region = Region(x: 0, y: 0, width: 224, height: 224)) -> BatchRecord {
    let heatmap = Heatmap(normalized: values, width: side, height: side)
    let located = Localization.locate(heatmap, in: region)
    let entry = ClassMapEntry(classIndex: classIndex, label: "class\(classIndex)", score: score, logit: 3,
                              map: MapData(channels: nil, width: side, height: side, data: values),
                              peak: located?.peak, box: located?.box, zero: heatmap.isZero)
    let document = ExplanationDocument(
        model: "m", layer: "features", method: "gradcam", image: ImageSize(width: 224, height: 224), region: region,
        predictions: [Prediction(classIndex: classIndex, label: "class\(classIndex)", score: score, logit: 3)],
        explanations: [entry])
    return BatchRecord(path: path, sha256: sha256, document: document)
}
