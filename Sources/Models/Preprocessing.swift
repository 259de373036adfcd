import Explain
import Imaging
import Tensor

/// How an image becomes a model input `[1, 3, H, W]` (or `[1, H, W, 3]` for an NHWC `layout`):
/// `x[c] = (pixel[c'] · scale − mean[c]) / std[c]`, where `c'` is `c` in RGB order or
/// reversed for BGR models, after resizing the image to the model's size.
public struct Preprocessing: Sendable, Equatable, Codable {
    public enum ColorOrder: String, Sendable, Codable { case rgb = "RGB", bgr = "BGR" }

    public enum Resize: String, Sendable, Codable {
        /// Resize (bilinear, antialiased) to exactly `height x width`, ignoring aspect ratio.
        case squash
        /// Resize so the shorter side is `shorterSide`, then take the centred `height x width`
        /// (torchvision's `Resize(256)` + `CenterCrop(224)`).
        case centerCrop = "shorter-side-then-center-crop"
    }

    public var color: ColorOrder
    /// Multiplies the 0...255 pixel values first (1/255 for ImageNet-style models, 1 for Caffe).
    public var scale: Float
    /// Per channel, in the model's colour order.
    public var mean: [Float]
    public var std: [Float]
    public var width: Int
    public var height: Int
    public var resize: Resize
    /// For `centerCrop`: the shorter side before cropping (default `round(8/7 · min(width, height))`, 256 for 224).
    public var shorterSide: Int?
    /// The input's layout: found from the graph input's shape, or stated by the manifest.
    public var layout: Layout

    public init(color: ColorOrder, scale: Float, mean: [Float], std: [Float], width: Int, height: Int,
                resize: Resize = .squash, shorterSide: Int? = nil, layout: Layout = .nchw) {
        self.color = color
        self.scale = scale
        self.mean = mean
        self.std = std
        self.width = width
        self.height = height
        self.resize = resize
        self.shorterSide = shorterSide
        self.layout = layout
    }

    /// torchvision's ImageNet preprocessing at `width x height` with a plain resize.
    public static func imageNet(width: Int = 224, height: Int = 224) -> Preprocessing {
        Preprocessing(color: .rgb, scale: 1 / 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225],
                      width: width, height: height)
    }

    /// Checks the values make sense; the message names the field.
    public func validate() throws(ModelError) {
        guard mean.count == 3, std.count == 3 else {
            throw .invalidPreprocessing("mean and std need 3 values each (got \(mean.count) and \(std.count))")
        }
        guard std.allSatisfy({ $0 > 0 && $0.isFinite }), mean.allSatisfy(\.isFinite), scale > 0, scale.isFinite else {
            throw .invalidPreprocessing("std and scale must be positive and finite")
        }
        guard (1...4096).contains(width), (1...4096).contains(height) else {
            throw .invalidPreprocessing("size must be between 1 and 4096 pixels, got \(width)x\(height)")
        }
        if let shorterSide, shorterSide < min(width, height) || shorterSide > 8192 {
            throw .invalidPreprocessing(
                "shorter_side \(shorterSide) must be between the crop's shorter side \(min(width, height)) and 8192")
        }
    }

    /// The shorter side an image is resized to before a centre crop.
    var cropShorterSide: Int {
        shorterSide ?? Int((Double(min(width, height)) * 8 / 7).rounded())
    }

    /// The smallest decoded size that loses nothing this preprocessing keeps (for JPEG DCT scaling).
    public func minimumDecodeSize() -> (width: Int, height: Int) {
        switch resize {
        case .squash: return (width, height)
        case .centerCrop: return (cropShorterSide, cropShorterSide)
        }
    }

    /// The part of an `imageWidth x imageHeight` image the model sees, in that image's pixels:
    /// all of it when squashing, the centred crop otherwise.
    public func visibleRegion(imageWidth: Int, imageHeight: Int) -> Region {
        guard resize == .centerCrop else { return Region(x: 0, y: 0, width: imageWidth, height: imageHeight) }
        let factor = Double(min(imageWidth, imageHeight)) / Double(cropShorterSide)
        let w = min(imageWidth, Int((Double(width) * factor).rounded()))
        let h = min(imageHeight, Int((Double(height) * factor).rounded()))
        return Region(x: (imageWidth - w) / 2, y: (imageHeight - h) / 2, width: w, height: h)
    }

    /// The model input shape, in `layout`.
    public var inputShape: [Int] {
        layout.shape(batch: 1, channels: 3, height: height, width: width)
    }

    /// The model input for `image`, in `layout`.
    public func tensor(from image: Image) -> Tensor {
        let sized: Image
        switch resize {
        case .squash:
            sized = image.width == width && image.height == height ? image : image.resized(width: width, height: height)
        case .centerCrop:
            let side = cropShorterSide
            let (w, h) = image.width <= image.height
                ? (side, Int(Double(side) * Double(image.height) / Double(image.width)))
                : (Int(Double(side) * Double(image.width) / Double(image.height)), side)
            // Only the crop is resampled: the full resize of a 1x1000000 image would be 256x256000000.
            let (fullWidth, fullHeight) = (max(w, width), max(h, height))
            let (x, y) = Image.centerCropOrigin(width: fullWidth, height: fullHeight, cropWidth: width, cropHeight: height)
            sized = image.resized(width: fullWidth, height: fullHeight, keeping: x..<(x + width), y..<(y + height))
        }
        let plane = width * height
        var values = [Float](repeating: 0, count: 3 * plane)
        sized.pixels.withUnsafeBufferPointer { pixels in
            for c in 0..<3 {
                let source = color == .rgb ? c : 2 - c
                let a = scale / std[c], b = -mean[c] / std[c]
                for i in 0..<plane { values[c * plane + i] = Float(pixels[i * 3 + source]) * a + b }
            }
        }
        return layout.fromNCHW(Tensor(shape: [1, 3, height, width], floats: values))
    }
}

/// A rectangle in an image's pixels.
public struct Region: Sendable, Equatable, Codable {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}
