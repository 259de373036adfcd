import Explain
import Foundation

/// `models/manifest.json`: what the models directory holds beyond the bare ONNX files.
///
/// ```json
/// {"models": [{
///   "name": "vgg16", "file": "vgg16-7.onnx", "sha256": "…", "size": 553437328,
///   "url": "https://…/vgg16-7.onnx", "source": "https://…", "license": "…", "labels": "imagenet.labels",
///   "preprocessing": {"color": "RGB", "scale": 0.00392156862745098,
///                     "mean": [0.485, 0.456, 0.406], "std": [0.229, 0.224, 0.225],
///                     "size": 224, "resize": "shorter-side-then-center-crop", "layout": "NCHW"},
///   "scores": "softmax", "default_layer": "…", "layer_aliases": {"conv5_3": "…"}
/// }]}
/// ```
/// `size` is one number (square) or `[height, width]`; `layout` (NCHW or NHWC) is needed only
/// where the input's shape cannot tell (`[N, 3, 3, 3]`, symbolic dimensions). Every field but `name` and `file`
/// is optional; missing ones take the defaults of a bare file.
public struct Manifest: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var file: String
        public var sha256: String?
        /// Expected file size in bytes (used by `models/fetch`).
        public var size: Int?
        /// Where `models/fetch` downloads the file from (http or https).
        public var url: String?
        public var source: String?
        public var license: String?
        public var labels: String?
        public var preprocessing: PreprocessingOverrides
        public var scores: ScoreFunction?
        public var defaultLayer: String?
        public var layerAliases: [String: String]
    }

    /// Preprocessing fields an entry sets; the rest come from the model's defaults.
    public struct PreprocessingOverrides: Sendable, Equatable {
        public var color: Preprocessing.ColorOrder?
        public var scale: Float?
        public var mean: [Float]?
        public var std: [Float]?
        /// Height and width.
        public var size: (height: Int, width: Int)?
        public var resize: Preprocessing.Resize?
        public var shorterSide: Int?
        public var layout: Layout?

        public init() {}

        public static func == (a: Self, b: Self) -> Bool {
            a.color == b.color && a.scale == b.scale && a.mean == b.mean && a.std == b.std
                && a.size?.height == b.size?.height && a.size?.width == b.size?.width
                && a.resize == b.resize && a.shorterSide == b.shorterSide && a.layout == b.layout
        }

        /// `base` with these overrides applied.
        public func applied(to base: Preprocessing) -> Preprocessing {
            var p = base
            if let color { p.color = color }
            if let scale { p.scale = scale }
            if let mean { p.mean = mean }
            if let std { p.std = std }
            if let size { p.height = size.height; p.width = size.width }
            if let resize { p.resize = resize }
            if let shorterSide { p.shorterSide = shorterSide }
            if let layout { p.layout = layout }
            return p
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry] = []) {
        self.entries = entries
    }

    /// The entry describing `file` (a file name inside the models directory).
    public func entry(forFile file: String) -> Entry? {
        entries.first { $0.file == file }
    }

    /// Parses a manifest; every error names the entry and field.
    public init(data: Data, path: String) throws(ModelError) {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw .manifest(path: path, reason: "not valid JSON (\((error as NSError).localizedDescription))")
        }
        guard let object = root as? [String: Any], let models = object["models"] as? [Any] else {
            throw .manifest(path: path, reason: "expected an object with a \"models\" array")
        }
        var entries: [Entry] = []
        for (index, item) in models.enumerated() {
            let fields = Fields(item, path: path, index: index)
            let entry = try fields.entry()
            if entries.contains(where: { $0.name == entry.name }) {
                throw .manifest(path: path, reason: "model name '\(entry.name)' appears twice")
            }
            entries.append(entry)
        }
        self.entries = entries
    }

    /// Reads `path`, or returns an empty manifest if it does not exist.
    public static func load(path: String) throws(ModelError) -> Manifest {
        guard FileManager.default.fileExists(atPath: path) else { return Manifest() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .manifest(path: path, reason: "cannot be read")
        }
        return try Manifest(data: data, path: path)
    }
}

/// Typed access to one manifest entry's JSON fields, with errors naming the field.
private struct Fields {
    let item: Any
    let path: String
    let index: Int

    init(_ item: Any, path: String, index: Int) {
        self.item = item
        self.path = path
        self.index = index
    }

    static let known: Set<String> = ["name", "file", "sha256", "size", "url", "source", "license", "labels",
                                     "preprocessing", "scores", "default_layer", "layer_aliases"]
    static let knownPreprocessing: Set<String> = ["color", "scale", "mean", "std", "size", "resize", "shorter_side", "layout"]

    func entry() throws(ModelError) -> Manifest.Entry {
        guard let object = item as? [String: Any] else { throw fail("is not an object") }
        if let unknown = object.keys.sorted().first(where: { !Self.known.contains($0) }) {
            throw fail("unknown field '\(unknown)'; known fields: \(Self.known.sorted().joined(separator: ", "))")
        }
        guard let name = object["name"] as? String, !name.isEmpty else { throw fail("needs a non-empty \"name\"") }
        guard let file = object["file"] as? String, !file.isEmpty, !file.contains("/") else {
            throw fail("needs a \"file\": a file name inside the models directory")
        }
        var entry = Manifest.Entry(
            name: name, file: file, sha256: try string(object, "sha256"), size: try int(object, "size"),
            url: try string(object, "url"), source: try string(object, "source"), license: try string(object, "license"),
            labels: try string(object, "labels"), preprocessing: .init(), scores: nil,
            defaultLayer: try string(object, "default_layer"), layerAliases: [:])
        if let sha = entry.sha256, sha.count != 64 || !sha.allSatisfy(\.isHexDigit) {
            throw fail("\"sha256\" must be 64 hexadecimal digits")
        }
        entry.sha256 = entry.sha256?.lowercased()
        if let size = entry.size, size <= 0 { throw fail("\"size\" must be a positive number of bytes") }
        if let url = entry.url, !(url.hasPrefix("https://") || url.hasPrefix("http://")) {
            throw fail("\"url\" must start with https:// or http://")
        }
        if let text = try string(object, "scores") {
            guard let scores = ScoreFunction(rawValue: text) else {
                throw fail("\"scores\" must be one of \(ScoreFunction.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            entry.scores = scores
        }
        if let aliases = object["layer_aliases"] {
            guard let map = aliases as? [String: String] else { throw fail("\"layer_aliases\" must map names to tensor names") }
            entry.layerAliases = map
        }
        if let value = object["preprocessing"] {
            guard let p = value as? [String: Any] else { throw fail("\"preprocessing\" must be an object") }
            entry.preprocessing = try preprocessing(p)
        }
        return entry
    }

    private func preprocessing(_ p: [String: Any]) throws(ModelError) -> Manifest.PreprocessingOverrides {
        if let unknown = p.keys.sorted().first(where: { !Self.knownPreprocessing.contains($0) }) {
            throw fail("unknown preprocessing field '\(unknown)'; known: \(Self.knownPreprocessing.sorted().joined(separator: ", "))")
        }
        var o = Manifest.PreprocessingOverrides()
        if let color = try string(p, "color") {
            guard let order = Preprocessing.ColorOrder(rawValue: color.uppercased()) else { throw fail("\"color\" must be RGB or BGR") }
            o.color = order
        }
        o.scale = try number(p, "scale")
        o.mean = try numbers(p, "mean")
        o.std = try numbers(p, "std")
        if let size = p["size"] {
            if let side = size as? Int {
                o.size = (side, side)
            } else if let pair = size as? [Int], pair.count == 2 {
                o.size = (pair[0], pair[1])
            } else {
                throw fail("\"size\" must be a number or [height, width]")
            }
        }
        if let resize = try string(p, "resize") {
            guard let mode = Preprocessing.Resize(rawValue: resize) else {
                throw fail("\"resize\" must be squash or shorter-side-then-center-crop")
            }
            o.resize = mode
        }
        o.shorterSide = try int(p, "shorter_side")
        if let layout = try string(p, "layout") {
            guard let value = Layout(rawValue: layout) else {
                throw fail("\"layout\" must be one of \(Layout.allCases.map(\.rawValue).joined(separator: ", ")), got '\(layout)'")
            }
            o.layout = value
        }
        return o
    }

    private func fail(_ reason: String) -> ModelError {
        .manifest(path: path, reason: "entry \(index + 1): \(reason)")
    }

    private func string(_ o: [String: Any], _ key: String) throws(ModelError) -> String? {
        guard let value = o[key] else { return nil }
        guard let text = value as? String else { throw fail("\"\(key)\" must be a string") }
        return text
    }

    private func int(_ o: [String: Any], _ key: String) throws(ModelError) -> Int? {
        guard let value = o[key] else { return nil }
        guard let number = value as? Int else { throw fail("\"\(key)\" must be an integer") }
        return number
    }

    private func number(_ o: [String: Any], _ key: String) throws(ModelError) -> Float? {
        guard let value = o[key] else { return nil }
        guard let number = value as? Double else { throw fail("\"\(key)\" must be a number") }
        return Float(number)
    }

    private func numbers(_ o: [String: Any], _ key: String) throws(ModelError) -> [Float]? {
        guard let value = o[key] else { return nil }
        guard let list = value as? [Double] else { throw fail("\"\(key)\" must be a list of numbers") }
        return list.map(Float.init)
    }
}

/// How a model's logits become the `score` of each class.
public enum ScoreFunction: String, Sendable, CaseIterable, Codable {
    /// Mutually exclusive classes: probabilities summing to 1.
    case softmax
    /// Independent (multi-label) classes: `1 / (1 + e^(−logit))` each.
    case sigmoid

    /// Scores for `logits`.
    public func scores(_ logits: [Float]) -> [Float] {
        switch self {
        case .sigmoid:
            return logits.map { 1 / (1 + expf(-$0)) }
        case .softmax:
            let top = logits.max() ?? 0
            let exps = logits.map { Double(expf($0 - top)) }
            let total = exps.reduce(0, +)
            return exps.map { Float($0 / total) }
        }
    }
}
