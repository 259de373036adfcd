import Explain
import Foundation
import Models
import Testing
@testable import Pipeline

@Suite struct CocoExportTests {
    @Test func annotationsAreTheDocumentsBoxesScoredByProbabilityTimesStrength() throws {
        var dataset = CocoExport.Dataset(labels: ["circle", "square", "triangle"], threshold: Localization.defaultThreshold)
        let a = batchRecord(path: "/img/a.png", sha256: "aa", score: 0.8)
        let b = batchRecord(path: "/img/b.png", sha256: "bb", classIndex: 0, score: 0.5,
                            region: Region(x: 16, y: 0, width: 192, height: 224))
        dataset.add(a)
        dataset.add(b)
        #expect(dataset.categories.map(\.id) == [0, 1, 2] && dataset.categories.map(\.name) == ["circle", "square", "triangle"])
        #expect(dataset.images == [
            CocoExport.ImageEntry(id: 1, fileName: "/img/a.png", width: 224, height: 224, sha256: "aa"),
            CocoExport.ImageEntry(id: 2, fileName: "/img/b.png", width: 224, height: 224, sha256: "bb"),
        ])
        for (index, record) in [a, b].enumerated() {
            let annotation = dataset.annotations[index]
            let entry = record.document.explanations[0]
            let box = try #require(entry.box)
            #expect(annotation.id == index + 1 && annotation.imageID == index + 1 && annotation.categoryID == entry.classIndex)
            #expect(annotation.bbox == [box.x, box.y, box.width, box.height])
            #expect(annotation.area == box.width * box.height && annotation.iscrowd == 0)
            // The strength, independently: the mean of the map upsampled over the region where it
            // is at least half its maximum (this map has one such blob).
            let heatmap = Heatmap(normalized: entry.map.data, width: entry.map.width, height: entry.map.height)
            let up = heatmap.upsampled(width: record.document.region.width, height: record.document.region.height).values
            let top = try #require(up.max())
            let kept = up.filter { $0 >= top / 2 }
            let strength = kept.reduce(0, +) / Float(kept.count)
            #expect(abs(annotation.score - entry.score * strength) < 0.01)
        }
    }

    @Test func zeroMapsAndGradientsGiveNoAnnotation() {
        var dataset = CocoExport.Dataset(labels: ["a", "b", "c"], threshold: 0.5)
        dataset.add(batchRecord(path: "/img/zero.png", values: [Float](repeating: 0, count: 16)))
        var guided = batchRecord(path: "/img/guided.png")
        guided.document.explanations[0].map = MapData(channels: 3, width: 2, height: 2, data: [Float](repeating: 0.5, count: 12))
        dataset.add(guided)
        var broken = batchRecord(path: "/img/broken.png")
        broken.document.explanations[0].map.data.removeLast()
        dataset.add(broken)
        #expect(dataset.images.count == 3 && dataset.annotations.isEmpty)
    }

    @Test func aLowerThresholdGivesABoxAroundTheDefaultOne() throws {
        let record = batchRecord(path: "/img/a.png")
        let heatmap = try #require(BatchRecord.heatmap(of: record.document.explanations[0]))
        let region = record.document.region
        let half = try #require(Localization.locate(heatmap, in: region))
        let low = try #require(Localization.locate(heatmap, in: region, threshold: 0.1))
        #expect(half.box == record.document.explanations[0].box)
        #expect(low.box.x <= half.box.x && low.box.y <= half.box.y
                && low.box.x + low.box.width >= half.box.x + half.box.width
                && low.box.y + low.box.height >= half.box.y + half.box.height)
        #expect(low.box.width * low.box.height > half.box.width * half.box.height)
        #expect(low.strength < half.strength && half.strength <= 1)
    }

    @Test func theEncodingHasCocoKeys() throws {
        var dataset = CocoExport.Dataset(labels: ["a", "b", "c"], threshold: 0.5)
        dataset.add(batchRecord(path: "/img/a.png"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(DocumentEncoding.json(dataset))) as? [String: Any])
        #expect(Set(object.keys) == ["info", "images", "categories", "annotations"])
        let annotation = try #require((object["annotations"] as? [[String: Any]])?.first)
        #expect(Set(annotation.keys) == ["id", "image_id", "category_id", "bbox", "area", "iscrowd", "score"])
        let image = try #require((object["images"] as? [[String: Any]])?.first)
        #expect(Set(image.keys) == ["id", "file_name", "width", "height", "sha256"])
    }

    @Test func unknownExportsNameTheAcceptedOnes() throws {
        #expect(throws: BatchExportError("unknown export 'yolo'; exports: jsonl, coco, label-studio, masks, overlays")) {
            try BatchExports.make("jsonl,yolo", threshold: 0.5)
        }
        #expect(try BatchExports.make("jsonl", threshold: 0.5).isEmpty)
        #expect(try BatchExports.make("overlays, coco,masks,coco", threshold: 0.5).map(\.name) == ["coco", "masks", "overlays"])
    }
}
