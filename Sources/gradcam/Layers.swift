import ArgumentParser
import Models

struct Layers: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the tensors a map can be computed at, with their shapes and the operators that make them.")

    @OptionGroup var model: ModelOptions

    func run() throws {
        let loaded = try model.load()
        let explainable = loaded.explainable
        print("\(loaded.name): input \(explainable.inputShape) \(explainable.inputLayout.rawValue), \(explainable.classCount) classes, opset \(loaded.opset)"
              + (explainable.strippedOutput.map { ", trailing \($0) bypassed for scores" } ?? ""))
        let rows = explainable.layers.map { layer -> [String] in
            let aliases = loaded.aliases(of: layer)
            return [layer == loaded.defaultLayer ? "*" : " ", layer.name, layer.shape.map(String.init).joined(separator: "x"),
                    layer.layout.rawValue, layer.op, layer.node == layer.name ? "" : layer.node, aliases.joined(separator: ",")]
        }
        printTable(header: ["", "tensor", "shape", "layout", "op", "node", "aliases"], rows: rows)
        print("* default layer")
    }
}

/// Prints rows as left-aligned columns.
func printTable(header: [String], rows: [[String]]) {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    for row in all {
        let cells = row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
        print(cells.joined(separator: "  ").trimmingTrailingSpaces())
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.last == " " { s.removeLast() }
        return s
    }
}
