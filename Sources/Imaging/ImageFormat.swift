/// The encoded formats `Image.decode` accepts.
public enum ImageFormat: String, Sendable, CaseIterable {
    case png = "PNG"
    case jpeg = "JPEG"

    /// The format announced by the first bytes: the PNG signature `89 50 4E 47 0D 0A 1A 0A`
    /// or the JPEG SOI marker followed by a marker, `FF D8 FF`. `nil` for anything else.
    init?(sniffing bytes: [UInt8]) {
        if bytes.starts(with: Self.pngSignature) {
            self = .png
        } else if bytes.starts(with: Self.jpegSignature) {
            self = .jpeg
        } else {
            return nil
        }
    }

    /// True when `bytes` is a proper prefix of a signature: data cut off too early to tell.
    static func isSignaturePrefix(_ bytes: [UInt8]) -> Bool {
        [pngSignature, jpegSignature].contains { signature in
            bytes.count < signature.count && signature.starts(with: bytes)
        }
    }

    private static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    private static let jpegSignature: [UInt8] = [0xFF, 0xD8, 0xFF]
}

/// Names other common formats by their magic bytes, so an error can say what was sent.
enum ForeignFormat {
    /// "GIF", "WebP", "BMP", "TIFF", "HEIF/AVIF" or "PDF" when recognized, otherwise `nil`.
    static func name(of bytes: [UInt8]) -> String? {
        func has(_ text: String, at offset: Int = 0) -> Bool {
            let magic = Array(text.utf8)
            return bytes.count >= offset + magic.count && Array(bytes[offset..<offset + magic.count]) == magic
        }
        if has("GIF87a") || has("GIF89a") { return "GIF" }
        if has("RIFF") && has("WEBP", at: 8) { return "WebP" }
        if has("BM") { return "BMP" }
        if bytes.starts(with: [0x49, 0x49, 0x2A, 0x00]) || bytes.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) {
            return "TIFF"
        }
        if has("ftyp", at: 4) { return "HEIF/AVIF" }
        if has("%PDF") { return "PDF" }
        return nil
    }
}
