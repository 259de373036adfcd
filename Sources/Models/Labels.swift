import Foundation

/// Class names, one per line, in class-index order.
public enum Labels {
    /// Reads a labels file; blank trailing lines are ignored, blank lines inside are errors.
    public static func load(path: String, expectedCount: Int) throws(ModelError) -> [String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .labels(path: path, reason: FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw .labels(path: path, reason: "is not UTF-8 text") }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        if let blank = lines.firstIndex(of: "") {
            throw .labels(path: path, reason: "line \(blank + 1) is empty")
        }
        guard lines.count == expectedCount else {
            throw .labels(path: path, reason: "has \(lines.count) labels but the model has \(expectedCount) classes")
        }
        return lines
    }

    /// Labels for a model without a labels file: the class indices as text.
    public static func indices(_ count: Int) -> [String] {
        (0..<count).map(String.init)
    }
}
