import Imaging

/// The shape of KServe V2's FP32 `image` input, and its elements read as images: N RGB images
/// of raw pixel values 0 to 255 (an 8-bit image cast to float, not normalized: the model's own
/// preprocessing is applied, as to an encoded image), channels first `[N, 3, H, W]` (PyTorch's
/// layout) or channels last `[N, H, W, 3]` (NumPy's, from PIL or OpenCV). A shape that is both,
/// `[N, 3, H, 3]`, is read as channels first.
struct ImageTensor: Equatable, CustomStringConvertible {
    enum Layout { case channelsFirst, channelsLast }

    /// What the FP32 input takes, for messages.
    static let accepted = "FP32 takes shape [N, 3, H, W] or [N, H, W, 3] with 1 <= N <= \(GradCAMService.kserveMaxImages): RGB pixel values 0 to 255, not normalized"

    let count: Int
    let height: Int
    let width: Int
    let layout: Layout
    /// `N * H * W * 3`.
    let elementCount: Int
    /// The shape, as `[N, 3, H, W]` or `[N, H, W, 3]`.
    let description: String

    /// The tensor of `shape`, refused (400, naming what is accepted) unless its rank, N and
    /// channels are as above and `H * W` is at most `pixelLimit` (413); nothing is allocated.
    init(shape: [Int], pixelLimit: Int) throws {
        let got = "[" + shape.map(String.init).joined(separator: ", ") + "]"
        description = got
        guard shape.count == 4, shape.allSatisfy({ $0 >= 1 }), (1...GradCAMService.kserveMaxImages).contains(shape[0]) else {
            throw ServiceError.invalidRequest("input \"image\": \(Self.accepted); got shape \(got)")
        }
        if shape[1] == 3 {
            (height, width, layout) = (shape[2], shape[3], .channelsFirst)
        } else if shape[3] == 3 {
            (height, width, layout) = (shape[1], shape[2], .channelsLast)
        } else {
            throw ServiceError.invalidRequest("input \"image\" has shape \(got) with no axis of 3 channels; \(Self.accepted)")
        }
        count = shape[0]
        let (pixels, overflow) = height.multipliedReportingOverflow(by: width)
        guard !overflow, pixels <= pixelLimit else {
            throw ServiceError(.contentTooLarge, "image_too_large",
                               "input \"image\" has shape \(got): \(height)x\(width) pixels per image, more than the limit of \(pixelLimit)")
        }
        // At most 16 x pixelLimit (at most 500 megapixels) x 3: no overflow past the check above.
        elementCount = count * pixels * 3
    }

    /// The images, `element(i)` giving the tensor's element `i` in row-major order; every
    /// element must be a pixel value in 0...255 (it is rounded to the nearest integer).
    func images(_ element: (Int) -> Float) throws -> [Image] {
        let plane = height * width
        return try (0..<count).map { n in
            var pixels = [UInt8](repeating: 0, count: plane * 3)
            let base = n * plane * 3
            for c in 0..<3 {
                for p in 0..<plane {
                    let index = layout == .channelsFirst ? base + c * plane + p : base + p * 3 + c
                    let value = element(index)
                    guard value >= 0 && value <= 255 else {
                        throw ServiceError.invalidRequest("element \(index) of input \"image\" is \(value); \(Self.accepted)")
                    }
                    pixels[p * 3 + c] = UInt8(value.rounded())
                }
            }
            return Image(width: width, height: height, pixels: pixels)
        }
    }
}
