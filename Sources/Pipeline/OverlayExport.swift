import Foundation

/// `--export overlays`: `overlays/<stem>_<class>.png` per image and explained class (`stem` is
/// `BatchRecord.fileStem`): the map over the image, the PNG that `POST /gradcam` answers
/// (with the batch's colormap, opacity and `--max-side`). A method without a layer (guided
/// backpropagation) draws no overlay. Written as each image is done.
public struct OverlayExport: BatchExport {
    public static let folder = "overlays"
    public var name: String { "overlays" }
    public var needsOverlays: Bool { true }

    public init() {}

    public func write(_ record: BatchRecord, output: ExplainSession.Output, in directory: URL) throws {
        for (pictures, entry) in zip(output.pictures, record.document.explanations) {
            guard let overlay = pictures.overlay else { continue }
            try BatchExports.write(try overlay.pngData(), named: "\(record.fileStem)_\(entry.classIndex).png",
                                   folder: Self.folder, in: directory)
        }
    }
}
