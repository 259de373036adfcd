import Explain
import Foundation
import Imaging
import Models

/// `--export masks`: `masks/<stem>_<class>.png` per image and explained class (`stem` is
/// `BatchRecord.fileStem`): the class map upsampled (bilinear) over the region the model saw,
/// thresholded at `threshold` times its maximum, at the image's size; white (255) where the
/// map is at or above the threshold, black elsewhere (and outside the region). A zero map
/// gives an all-black mask. Written as each image is done.
public struct MaskExport: BatchExport {
    public static let folder = "masks"
    public let threshold: Float
    public var name: String { "masks" }
    public var needsClassMap: Bool { true }

    public init(threshold: Float = Localization.defaultThreshold) {
        self.threshold = threshold
    }

    public func write(_ record: BatchRecord, output: ExplainSession.Output, in directory: URL) throws {
        for entry in record.document.explanations {
            guard let heatmap = BatchRecord.heatmap(of: entry) else { continue }
            let mask = Self.mask(heatmap, region: record.document.region, image: record.document.image, threshold: threshold)
            try BatchExports.write(try mask.pngData(), named: "\(record.fileStem)_\(entry.classIndex).png",
                                   folder: Self.folder, in: directory)
        }
    }

    /// The mask of `heatmap` over `region` of an image of size `image` (all black when the
    /// region does not lie inside the image).
    public static func mask(_ heatmap: Heatmap, region: Region, image: ImageSize, threshold: Float) -> Image {
        var pixels = [UInt8](repeating: 0, count: image.width * image.height * 3)
        if !heatmap.isZero && region.width > 0 && region.height > 0 && region.x >= 0 && region.y >= 0
            && region.x + region.width <= image.width && region.y + region.height <= image.height {
            let map = heatmap.upsampled(width: region.width, height: region.height).values
            let cut = (map.max() ?? 0) * threshold
            for y in 0..<region.height {
                let row = (region.y + y) * image.width + region.x
                for x in 0..<region.width where map[y * region.width + x] >= cut {
                    let i = (row + x) * 3
                    pixels[i] = 255
                    pixels[i + 1] = 255
                    pixels[i + 2] = 255
                }
            }
        }
        return Image(width: image.width, height: image.height, pixels: pixels)
    }
}
