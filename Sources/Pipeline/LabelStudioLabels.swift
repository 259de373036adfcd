/// How a labeling config's label values name a model's classes: the same text, else the same
/// text ignoring case.
public struct LabelStudioLabels: Sendable, Equatable {
    /// The model's classes that some control of the config has a label for, in class order.
    public var classes: [Int]
    /// The config's labels that name no class (ignored; said so in the log and answers).
    public var ignored: [String]

    /// Matches `config`'s labels with a model's `classLabels`; a config none of whose labels
    /// names a class is an error that lists some of the model's classes.
    public init(config: LabelStudioConfig, classLabels: [String]) throws(LabelStudioError) {
        let labels = (config.rectangles?.labels ?? []) + (config.brushes?.labels ?? [])
        var classes = Set<Int>()
        var ignored: [String] = []
        for label in labels {
            if let c = Self.match(label, in: classLabels).flatMap({ classLabels.firstIndex(of: $0) }) {
                classes.insert(c)
            } else if !ignored.contains(label) {
                ignored.append(label)
            }
        }
        guard !classes.isEmpty else {
            let some = classLabels.prefix(10).joined(separator: ", ") + (classLabels.count > 10 ? ", …" : "")
            throw .config("no label of the labeling config names a class of the model (labels: \(labels.prefix(10).joined(separator: ", ")); classes: \(some))")
        }
        self.classes = classes.sorted()
        self.ignored = ignored
    }

    /// The element of `candidates` that `name` matches: equal, else equal ignoring case.
    static func match(_ name: String, in candidates: [String]) -> String? {
        candidates.first { $0 == name } ?? candidates.first { $0.lowercased() == name.lowercased() }
    }
}
