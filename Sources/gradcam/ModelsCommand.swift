import ArgumentParser
import Models

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models", abstract: "List the models of the models directory.")

    @Option(name: .customLong("models-dir"), help: "The models directory (manifest.json and *.onnx).")
    var modelsDirectory = "models"

    func run() throws {
        var registry = try ModelRegistry(directory: modelsDirectory)
        registry.loadAll()
        let rows = registry.models.map { m -> [String] in
            let p = m.preprocessing
            return [m.name, String(m.path.split(separator: "/").last ?? ""), "\(m.labels.count)", "\(p.width)x\(p.height) \(p.color.rawValue)",
                    m.scores.rawValue, m.defaultLayer.name]
        }
        printTable(header: ["name", "file", "classes", "input", "scores", "default layer"], rows: rows)
        for entry in registry.missing() {
            print("not downloaded: \(entry.name) (\(entry.file)); run models/fetch \(entry.name)")
        }
        for failure in registry.failures {
            print("failed: \(failure.name): \(failure.error)")
        }
        if registry.models.isEmpty && registry.failures.isEmpty {
            print("no models in \(modelsDirectory)")
        }
    }
}
