import Explain
import Imaging
import Models
import Tensor

/// Images made from explanations.
public enum Rendering {
    /// `image` with `heatmap` upsampled (bilinear) over `region` (the part the model saw)
    /// through `colormap` at opacity `alpha`; pixels outside the region are unchanged.
    public static func overlay(_ heatmap: Heatmap, on image: Image, region: Region, colormap: Colormap, alpha: Float) throws -> Image {
        let heat = heatmap.upsampled(width: region.width, height: region.height)
        if region.x == 0 && region.y == 0 && region.width == image.width && region.height == image.height {
            return try image.overlaid(with: heat, colormap: colormap, alpha: alpha)
        }
        let part = image.cropped(x: region.x, y: region.y, width: region.width, height: region.height)
        return image.pasting(try part.overlaid(with: heat, colormap: colormap, alpha: alpha), x: region.x, y: region.y)
    }

    /// A guided gradient drawn over the `region` the model saw, at the input image's size
    /// (`imageWidth x imageHeight`), neutral grey elsewhere, so every image the service
    /// returns lines up pixel for pixel with the uploaded one. See `gradientImage(_:bgr:)`.
    public static func gradientImage(_ gradient: Tensor, bgr: Bool, region: Region, imageWidth: Int, imageHeight: Int) -> Image {
        let picture = gradientImage(gradient, bgr: bgr).resized(width: region.width, height: region.height)
        if region.width == imageWidth && region.height == imageHeight { return picture }
        let canvas = Image(width: imageWidth, height: imageHeight, pixels: [UInt8](repeating: 128, count: imageWidth * imageHeight * 3))
        return canvas.pasting(picture, x: region.x, y: region.y)
    }

    /// A guided gradient `[3, H, W]` as an RGB image, as pytorch-grad-cam's `deprocess_image`:
    /// `v = (g − mean) / (std + 1e-5) · 0.1 + 0.5`, clipped to [0, 1], times 255 (over all channels).
    /// Channels are in the model's colour order and are shown as RGB, reversed for BGR models.
    public static func gradientImage(_ gradient: Tensor, bgr: Bool) -> Image {
        let channels = gradient.shape[0], height = gradient.shape[1], width = gradient.shape[2]
        let values = gradient.floats
        let n = Double(values.count)
        let mean = values.reduce(0.0) { $0 + Double($1) } / n
        let std = (values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
        let plane = height * width
        var pixels = [UInt8](repeating: 0, count: plane * 3)
        for c in 0..<min(channels, 3) {
            let target = bgr ? 2 - c : c
            for i in 0..<plane {
                let v = (Double(values[c * plane + i]) - mean) / (std + 1e-5) * 0.1 + 0.5
                pixels[i * 3 + target] = UInt8((min(max(v, 0), 1) * 255).rounded(.towardZero))
            }
        }
        return Image(width: width, height: height, pixels: pixels)
    }
}
