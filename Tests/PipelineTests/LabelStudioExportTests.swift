import Explain
import Models
import Testing
@testable import Pipeline

/// Label Studio regions from an explanation document: the rectangle's percent maths, the mask
/// lying where the map is hot (its extent is the document's box), and what gives no region.
@Suite struct LabelStudioExportTests {
    /// A document for a `width x height` image whose map (4x2, over `region`) is hot in one cell.
    static func document(width: Int, height: Int, region: Region, hotCell: Int = 1, label: String = "circle",
                         channels: Int? = nil) -> ExplanationDocument {
        var raw = [Float](repeating: 0.05, count: 8)
        raw[hotCell] = 1
        let heatmap = Heatmap(raw: raw, width: 4, height: 2)
        let located = Localization.locate(heatmap, in: region)
        let entry = ClassMapEntry(classIndex: 0, label: label, score: 0.9, logit: 3, map: MapData(channels: channels, width: 4, height: 2, data: heatmap.values),
                                  peak: located?.peak, box: located?.box, zero: false)
        return ExplanationDocument(model: "shapes-vgg", layer: "l", method: "gradcam", image: ImageSize(width: width, height: height),
                                   region: region, predictions: [], explanations: [entry])
    }

    /// The mask of row-major runs (unset first).
    static func mask(_ runs: [Int]) -> [Bool] {
        var mask: [Bool] = []
        for (i, n) in runs.enumerated() { mask += Array(repeating: i % 2 == 1, count: n) }
        return mask
    }

    @Test func rectangleIsTheBoxInPercent() throws {
        let box = Region(x: 50, y: 20, width: 30, height: 40)
        let value = LabelStudioExport.rectangle(box, in: ImageSize(width: 200, height: 80), label: "circle")
        #expect(value.x == 25 && value.y == 25 && value.width == 15 && value.height == 50 && value.rotation == 0)
        #expect(value.rectanglelabels == ["circle"])
    }

    @Test func maskIsSetWhereTheMapIsHotAndSpansTheBox() throws {
        let document = Self.document(width: 200, height: 100, region: Region(x: 0, y: 0, width: 200, height: 100))
        let box = try #require(document.explanations[0].box)
        let runs = LabelStudioExport.maskRuns(document.explanations[0].map, region: document.region, image: document.image, threshold: 0.5)
        let mask = Self.mask(runs)
        #expect(mask.count == 200 * 100)
        let set = mask.indices.filter { mask[$0] }
        let xs = set.map { $0 % 200 }, ys = set.map { $0 / 200 }
        // Hot cell 1 of a 4x2 map: columns 50..<100, rows 0..<50 at its centre.
        #expect(mask[25 * 200 + 75] && !mask[75 * 200 + 175])
        // One component, so its bounding box is the document's box (both from the same upsampled map).
        #expect(xs.min() == box.x && ys.min() == box.y && xs.max()! + 1 == box.x + box.width && ys.max()! + 1 == box.y + box.height)
    }

    @Test func maskStaysInsideTheCentreCrop() {
        let region = Region(x: 50, y: 0, width: 100, height: 100)
        let document = Self.document(width: 200, height: 100, region: region, hotCell: 0)
        let mask = Self.mask(LabelStudioExport.maskRuns(document.explanations[0].map, region: region, image: document.image, threshold: 0.5))
        #expect(mask.count == 200 * 100)
        #expect(mask.indices.filter { mask[$0] }.allSatisfy { (50..<150).contains($0 % 200) })
        #expect(mask[10 * 200 + 55])
    }

    @Test func taskHoldsTheImageAndBothRegions() throws {
        let document = Self.document(width: 200, height: 100, region: Region(x: 0, y: 0, width: 200, height: 100))
        let task = LabelStudioExport.task(document, imageReference: "/data/upload/1/a.png")
        #expect(task.data == ["image": "/data/upload/1/a.png"])
        let prediction = try #require(task.predictions.first)
        #expect(prediction.modelVersion == "shapes-vgg" && prediction.score == 0.9)
        #expect(prediction.result.map(\.type) == ["rectanglelabels", "brushlabels"])
        #expect(prediction.result.map(\.fromName) == ["box", "mask"] && prediction.result.allSatisfy { $0.toName == "image" })
        #expect(prediction.result.allSatisfy { $0.originalWidth == 200 && $0.originalHeight == 100 })
        let runs = LabelStudioExport.maskRuns(document.explanations[0].map, region: document.region, image: document.image, threshold: 0.5)
        #expect(prediction.result[1].value == .init(format: "rle", rle: LabelStudioRLE.encode(pixelRuns: runs), brushlabels: ["circle"]))
    }

    @Test func labelsFollowTheConfigAndUnmatchedClassesAreLeftOut() throws {
        let document = Self.document(width: 64, height: 64, region: Region(x: 0, y: 0, width: 64, height: 64), label: "Circle")
        let config = LabelStudioConfig(imageName: "img", imageKey: "url", rectangles: .init(name: "r", toName: "img", labels: ["circle"]),
                                       brushes: .init(name: "b", toName: "img", labels: ["star"]))
        let prediction = LabelStudioExport.prediction(document, config: config, modelVersion: "v2")
        #expect(prediction.modelVersion == "v2")
        #expect(prediction.result.count == 1 && prediction.result[0].value.rectanglelabels == ["circle"])
    }

    @Test func zeroAndGuidedMapsGiveNoMask() throws {
        var zero = Self.document(width: 64, height: 64, region: Region(x: 0, y: 0, width: 64, height: 64))
        zero.explanations[0].zero = true
        zero.explanations[0].box = nil
        #expect(LabelStudioExport.task(zero, imageReference: "a").predictions[0].result.isEmpty)
        let guided = Self.document(width: 64, height: 64, region: Region(x: 0, y: 0, width: 64, height: 64), channels: 3)
        #expect(LabelStudioExport.task(guided, imageReference: "a").predictions[0].result.map(\.type) == ["rectanglelabels"])
    }
}
