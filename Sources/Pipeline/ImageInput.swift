import Imaging

/// An image as a request brings it: encoded bytes (PNG or JPEG, decoded within the session's
/// pixel limit), or RGB pixels already decoded (an image tensor, as KServe V2's FP32 input
/// carries them). Either goes through the model's own preprocessing.
public enum ImageInput: Sendable, Equatable {
    case encoded([UInt8])
    case pixels(Image)
}
