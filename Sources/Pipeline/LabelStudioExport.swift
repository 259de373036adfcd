import Explain
import Models

/// An explanation document as Label Studio pre-annotations: per explained class whose label the
/// config has, a rectangle (the document's `box`, in percent of the image) and a brush mask (the
/// map over the image thresholded, in Label Studio's RLE). Zero maps and guided methods' maps
/// (gradients, not regions) give no mask; zero maps no rectangle either.
public enum LabelStudioExport {
    /// A mask holds the pixels at or above this fraction of the map's maximum: 0.5 is the
    /// region whose largest component `box` outlines.
    public static let defaultThreshold: Float = 0.5

    /// The task of one image: `data` holds `imageReference` under the config's image key.
    /// Without a config the standard one (``LabelStudioConfig/standard(labels:)``) of the
    /// document's labels is used, so every explained class is kept.
    public static func task(_ document: ExplanationDocument, imageReference: String, config: LabelStudioConfig? = nil,
                            modelVersion: String? = nil, threshold: Float = defaultThreshold) -> LabelStudioTask {
        let config = config ?? .standard(labels: document.explanations.map(\.label))
        return LabelStudioTask(data: [config.imageKey: imageReference],
                               predictions: [prediction(document, config: config, modelVersion: modelVersion, threshold: threshold)])
    }

    /// The prediction for one image: regions for the classes whose label one of the config's
    /// controls has (the same text, else the same ignoring case). `modelVersion` defaults to the model's name.
    public static func prediction(_ document: ExplanationDocument, config: LabelStudioConfig, modelVersion: String? = nil,
                                  threshold: Float = defaultThreshold) -> LabelStudioPrediction {
        let size = document.image
        var regions: [LabelStudioRegion] = []
        for entry in document.explanations {
            func region(_ control: LabelStudioConfig.Control, _ kind: String, _ value: LabelStudioRegion.Value) -> LabelStudioRegion {
                LabelStudioRegion(id: "\(entry.classIndex)-\(control.name)", type: kind, fromName: control.name, toName: control.toName,
                                  originalWidth: size.width, originalHeight: size.height, imageRotation: 0,
                                  score: entry.score, value: value)
            }
            if let control = config.rectangles, let label = LabelStudioLabels.match(entry.label, in: control.labels), let box = entry.box {
                regions.append(region(control, "rectanglelabels", rectangle(box, in: size, label: label)))
            }
            if let control = config.brushes, let label = LabelStudioLabels.match(entry.label, in: control.labels),
               !entry.zero, entry.map.channels == nil {
                let runs = maskRuns(entry.map, region: document.region, image: size, threshold: threshold)
                regions.append(region(control, "brushlabels",
                                      .init(format: "rle", rle: LabelStudioRLE.encode(pixelRuns: runs), brushlabels: [label])))
            }
        }
        return LabelStudioPrediction(modelVersion: modelVersion ?? document.model, score: regions.map(\.score).max() ?? 0,
                                     result: regions)
    }

    /// A box in image pixels as Label Studio's percent rectangle: `x = 100 · box.x / width`, …
    static func rectangle(_ box: Region, in size: ImageSize, label: String) -> LabelStudioRegion.Value {
        let w = Double(size.width), h = Double(size.height)
        return .init(x: 100 * Double(box.x) / w, y: 100 * Double(box.y) / h, width: 100 * Double(box.width) / w,
                     height: 100 * Double(box.height) / h, rotation: 0, rectanglelabels: [label])
    }

    /// The mask's row-major runs over the whole image: the map upsampled over `region` (bilinear,
    /// as ``Localization`` does, at most ``Localization/maximumSide`` on a side, then nearest to
    /// image pixels), set where at or above `threshold` × its maximum; outside `region` unset.
    static func maskRuns(_ map: MapData, region: Region, image: ImageSize, threshold: Float) -> [Int] {
        let factor = max(1, Double(max(region.width, region.height)) / Double(Localization.maximumSide))
        let width = max(1, Int((Double(region.width) / factor).rounded()))
        let height = max(1, Int((Double(region.height) / factor).rounded()))
        let plane = Heatmap(raw: map.data, width: map.width, height: map.height).upsampled(width: width, height: height)
        let cut = (plane.values.max() ?? 0) * threshold
        return LabelStudioRLE.runs(width: image.width, height: image.height) { x, y in
            let rx = x - region.x, ry = y - region.y
            guard rx >= 0, ry >= 0, rx < region.width, ry < region.height, cut > 0 else { return false }
            return plane.values[(ry * height / region.height) * width + rx * width / region.width] >= cut
        }
    }
}
