import Foundation

/// The images of a batch, enumerated before any is read (paths only, so the total is known
/// and the images themselves are streamed). An input is one of:
///
/// - a directory: its PNG and JPEG files (`.png`, `.jpg`, `.jpeg`, any case), in all its
///   subfolders, sorted by path (byte order) so that every run sees the same order;
/// - a `.jsonl` file of Label Studio tasks, one per line: `{"data": {"image": "path"}}`;
/// - any other file: a list of image paths, one per line (blank lines and lines starting
///   with `#` are skipped).
///
/// Relative paths in a list or tasks file are relative to the folder of that file. Every
/// path is made absolute. A line that names no usable image (not JSON, no `data.image`, a
/// URL, too long) becomes a failure naming the file and line, and the batch goes on.
public enum BatchInput {
    public enum Item: Sendable, Equatable {
        case image(path: String)
        case invalid(BatchFailure)
    }

    /// The longest line read from a list or tasks file; a Label Studio task may carry more
    /// than its image (annotations, other data fields), but not megabytes.
    public static let maxLineLength = 1 << 20
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Why the input as a whole cannot be read.
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public static func enumerate(_ input: String) throws -> [Item] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) else {
            throw Failure(description: "input '\(input)' does not exist; give a directory of images, a list of paths (one per line) or Label Studio tasks (.jsonl)")
        }
        let absolute = URL(fileURLWithPath: input).standardizedFileURL.path
        if isDirectory.boolValue { return try walk(absolute) }
        let tasks = absolute.lowercased().hasSuffix(".jsonl")
        let base = (absolute as NSString).deletingLastPathComponent
        var items: [Item] = []
        do {
            try FileLines.forEach(path: absolute, maxLength: maxLineLength) { line in
                func invalid(_ code: String, _ message: String) {
                    items.append(.invalid(BatchFailure(path: absolute, line: line.number, code: code, message: message)))
                }
                guard let bytes = line.bytes else {
                    return invalid("invalid_input_line", "the line is longer than \(maxLineLength) bytes")
                }
                let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
                if text.isEmpty || (!tasks && text.hasPrefix("#")) { return }
                let reference: String
                if tasks {
                    switch taskImage(bytes) {
                    case .success(let value): reference = value
                    case .failure(let failure): return invalid("invalid_input_line", failure.description)
                    }
                } else {
                    reference = text
                }
                if let scheme = urlScheme(reference) {
                    return invalid("url_not_supported", "'\(scheme)://' URLs are not fetched by gradcam batch; give a local file path")
                }
                let path = reference.hasPrefix("/") ? reference : (base as NSString).appendingPathComponent(reference)
                items.append(.image(path: URL(fileURLWithPath: path).standardizedFileURL.path))
            }
        } catch let failure as FileLines.Failure {
            throw Failure(description: failure.description)
        }
        return items
    }

    /// The image files under `directory`, sorted by path.
    static func walk(_ directory: String) throws -> [Item] {
        guard let walker = FileManager.default.enumerator(atPath: directory) else {
            throw Failure(description: "cannot list the directory '\(directory)'")
        }
        var paths: [String] = []
        while let relative = walker.nextObject() as? String {
            guard imageExtensions.contains((relative as NSString).pathExtension.lowercased()) else { continue }
            let path = (directory as NSString).appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                paths.append(path)
            }
        }
        return paths.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }.map { .image(path: $0) }
    }

    /// `data.image` of a Label Studio task line.
    static func taskImage(_ line: [UInt8]) -> Result<String, Failure> {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
            return .failure(Failure(description: "the line is not a JSON object; a task is {\"data\": {\"image\": \"path\"}}"))
        }
        guard let data = object["data"] as? [String: Any], let image = data["image"] as? String, !image.isEmpty else {
            return .failure(Failure(description: "the task has no \"data\": {\"image\": \"path\"} string"))
        }
        return .success(image)
    }

    /// The scheme of a URL-like reference (`http`, `s3`, `file`, …), nil for a plain path.
    static func urlScheme(_ reference: String) -> String? {
        guard let range = reference.range(of: "://") else { return nil }
        let scheme = reference[..<range.lowerBound]
        guard let first = scheme.first, first.isLetter,
              scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) else { return nil }
        return String(scheme)
    }
}
