import Foundation
import Models

/// Turns the classes a user names (indices or labels) into class indices.
public enum ClassSelector {
    /// Resolves each spec: a number is an index; otherwise a label, matched exactly, then
    /// ignoring case. Ambiguous and unknown labels are errors that say what would work.
    public static func resolve(_ specs: [String], labels: [String], model: String) throws(ModelError) -> [Int] {
        var result: [Int] = []
        for raw in specs {
            let spec = raw.trimmingCharacters(in: .whitespaces)
            if let index = Int(spec) {
                guard labels.indices.contains(index) else {
                    throw .unknownClass(spec, model: model, hint: "class indices are 0...\(labels.count - 1)")
                }
                result.append(index)
                continue
            }
            var matches = labels.indices.filter { labels[$0] == spec }
            if matches.isEmpty { matches = labels.indices.filter { labels[$0].lowercased() == spec.lowercased() } }
            if matches.count > 1 {
                throw .unknownClass(spec, model: model, hint: "the label is ambiguous (classes \(matches.map(String.init).joined(separator: ", "))); give the index")
            }
            guard let index = matches.first else {
                let near = labels.filter { $0.lowercased().contains(spec.lowercased()) }.prefix(5)
                let hint = near.isEmpty
                    ? (labels.count <= 20 ? "labels: \(labels.joined(separator: ", "))" : "give an index 0...\(labels.count - 1) or one of the \(labels.count) labels (GET /models/\(model))")
                    : "did you mean \(near.joined(separator: ", "))?"
                throw .unknownClass(spec, model: model, hint: hint)
            }
            result.append(index)
        }
        return result
    }
}
