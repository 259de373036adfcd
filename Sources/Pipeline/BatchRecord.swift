import Explain
import Foundation
import Models

/// One line of a batch's `results.jsonl`: the explanation document of `gradcam explain
/// --format json` and `POST /gradcam?format=json`, with the image's `path` (absolute) and
/// `sha256` (of its bytes) added beside the document's keys:
///
/// ```json
/// {"path": "/data/images/000001.png", "sha256": "9f86d0…", "model": "shapes-vgg", "layer": "…",
///  "method": "gradcam", "image": {…}, "region": {…}, "predictions": […], "explanations": […]}
/// ```
public struct BatchRecord: Codable, Sendable, Equatable {
    public var path: String
    public var sha256: String
    public var document: ExplanationDocument

    public init(path: String, sha256: String, document: ExplanationDocument) {
        self.path = path
        self.sha256 = sha256
        self.document = document
    }

    enum CodingKeys: String, CodingKey { case path, sha256 }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decode(String.self, forKey: .path)
        sha256 = try c.decode(String.self, forKey: .sha256)
        document = try ExplanationDocument(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        try document.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encode(sha256, forKey: .sha256)
    }

    /// The start of the names of this image's per-image export files: the file's name without
    /// its extension and the first 8 hex digits of its hash (`000001_9f86d081`), so that images
    /// of the same name in different folders do not collide.
    public var fileStem: String {
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return "\(name)_\(sha256.prefix(8))"
    }

    /// The class map of `entry` as a heatmap, exactly as the document carries it; nil for the
    /// guided methods (their `map` is a gradient, not a class map) or a map whose size does not
    /// match its data.
    public static func heatmap(of entry: ClassMapEntry) -> Heatmap? {
        let map = entry.map
        guard map.channels == nil, map.width > 0, map.height > 0,
              map.width.multipliedReportingOverflow(by: map.height) == (map.data.count, false),
              map.data.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1 }) else { return nil }
        return Heatmap(normalized: map.data, width: map.width, height: map.height)
    }
}

/// One line of a batch's `errors.jsonl`: an image (or a line of the input list) that failed,
/// with the error as the HTTP API words it (`{"error": {"code", "message"}}`):
///
/// ```json
/// {"path": "/data/images/000042.png", "line": null,
///  "error": {"code": "invalid_image", "message": "…"}}
/// ```
/// `line` is set when the failure is a line of a LIST.txt or TASKS.jsonl input (then `path` is
/// that input file).
public struct BatchFailure: Codable, Sendable, Equatable {
    public var path: String
    public var line: Int?
    public var error: Reason

    public struct Reason: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
    }

    public init(path: String, line: Int? = nil, code: String, message: String) {
        self.path = path
        self.line = line
        self.error = Reason(code: code, message: message)
    }

    enum CodingKeys: String, CodingKey { case path, line, error }

    /// Writes `line` as null rather than leaving it out, so every key is always there.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encode(line, forKey: .line)
        try c.encode(error, forKey: .error)
    }
}
