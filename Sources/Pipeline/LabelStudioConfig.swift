/// The parts of a Label Studio labeling config this server answers for: the `<Image>` object
/// and the `<RectangleLabels>` and `<BrushLabels>` controls pointing at it, with their
/// `<Label value="…"/>` children.
///
/// ```xml
/// <View>
///   <Image name="image" value="$image"/>
///   <RectangleLabels name="box" toName="image"><Label value="circle"/></RectangleLabels>
///   <BrushLabels name="mask" toName="image"><Label value="circle"/></BrushLabels>
/// </View>
/// ```
/// Read with a tolerant tag scanner, not an XML parser: a document type declaration (and so
/// any entity definition) is refused, only the five predefined entities and numeric
/// references are decoded in attribute values, and the text is capped at ``maximumBytes``.
public struct LabelStudioConfig: Sendable, Equatable {
    /// A control: its `name` (a result's `from_name`), the object it labels (`to_name`) and its labels.
    public struct Control: Sendable, Equatable {
        public var name: String
        public var toName: String
        public var labels: [String]

        public init(name: String, toName: String, labels: [String]) {
            self.name = name
            self.toName = toName
            self.labels = labels
        }
    }

    /// The `<Image>` tag's `name` (a result's `to_name`).
    public var imageName: String
    /// The task data key the image URL is read from: the Image tag's `value` without its `$`.
    public var imageKey: String
    public var rectangles: Control?
    public var brushes: Control?

    /// Labeling configs are a few kilobytes; 256 KiB leaves room for very many labels.
    public static let maximumBytes = 256 * 1024
    /// Deepest tag nesting read.
    static let maximumDepth = 64

    public init(imageName: String, imageKey: String, rectangles: Control?, brushes: Control?) {
        self.imageName = imageName
        self.imageKey = imageKey
        self.rectangles = rectangles
        self.brushes = brushes
    }

    /// The config of a project for `labels` (a model's classes): an image, a rectangle and a
    /// brush control, each with every label.
    public static func standard(labels: [String]) -> LabelStudioConfig {
        LabelStudioConfig(imageName: "image", imageKey: "image",
                          rectangles: Control(name: "box", toName: "image", labels: labels),
                          brushes: Control(name: "mask", toName: "image", labels: labels))
    }

    /// The XML of this config, to create a Label Studio project with.
    public var xml: String {
        func control(_ tag: String, _ c: Control) -> String {
            "  <\(tag) name=\"\(Self.escape(c.name))\" toName=\"\(Self.escape(c.toName))\">\n"
                + c.labels.map { "    <Label value=\"\(Self.escape($0))\"/>\n" }.joined() + "  </\(tag)>\n"
        }
        return "<View>\n  <Image name=\"\(Self.escape(imageName))\" value=\"$\(Self.escape(imageKey))\"/>\n"
            + (rectangles.map { control("RectangleLabels", $0) } ?? "") + (brushes.map { control("BrushLabels", $0) } ?? "")
            + "</View>\n"
    }

    /// Parses a labeling config. The first `<Image>` with a `$`-value is the image; the first
    /// `RectangleLabels` and the first `BrushLabels` whose `toName` is that image are the controls.
    public static func parse(_ text: String) throws(LabelStudioError) -> LabelStudioConfig {
        guard text.utf8.count <= maximumBytes else {
            throw .config("the labeling config has \(text.utf8.count) bytes; at most \(maximumBytes) are accepted")
        }
        var images: [(name: String, key: String)] = []
        var controls: [(tag: String, control: Control)] = []
        var open: Int?  // index in `controls` of the control whose labels are being read
        var depth = 0
        for tag in try TagScanner.tags(Array(text.utf8)) {
            if tag.closing {
                depth -= 1
                if let o = open, tag.name == controls[o].tag { open = nil }
                continue
            }
            if !tag.selfClosing {
                depth += 1
                guard depth <= maximumDepth else { throw .config("the labeling config nests deeper than \(maximumDepth) tags") }
            }
            switch tag.name {
            case "Image":
                if let name = tag.attributes["name"], let value = tag.attributes["value"], value.hasPrefix("$"), value.count > 1 {
                    images.append((name, String(value.dropFirst())))
                }
            case "RectangleLabels", "BrushLabels":
                guard let name = tag.attributes["name"], let toName = tag.attributes["toName"] else {
                    throw .config("<\(tag.name)> needs name and toName attributes")
                }
                controls.append((tag.name, Control(name: name, toName: toName, labels: [])))
                if !tag.selfClosing { open = controls.count - 1 }
            case "Label":
                if let o = open, let value = tag.attributes["value"] { controls[o].control.labels.append(value) }
            default:
                break
            }
        }
        guard let image = images.first else {
            throw .config("the labeling config has no <Image name=\"…\" value=\"$…\"/>")
        }
        func first(_ tag: String) -> Control? {
            controls.first { $0.tag == tag && $0.control.toName == image.name }?.control
        }
        let config = LabelStudioConfig(imageName: image.name, imageKey: image.key,
                                       rectangles: first("RectangleLabels"), brushes: first("BrushLabels"))
        guard config.rectangles != nil || config.brushes != nil else {
            throw .config("the labeling config has no <RectangleLabels> or <BrushLabels> with toName=\"\(image.name)\"")
        }
        return config
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }
}
