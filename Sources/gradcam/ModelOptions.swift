import ArgumentParser
import Explain
import Foundation
import Models

/// Flags shared by commands that load a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: "A model name from the models directory, or the path of an .onnx file.")
    var model: String

    @Option(name: .customLong("models-dir"), help: "The models directory (manifest.json and *.onnx).")
    var modelsDirectory = "models"

    @Option(help: ArgumentHelp("Per-channel mean, in the model's colour order (e.g. 0.485,0.456,0.406).", valueName: "m,m,m"))
    var mean: String?

    @Option(help: ArgumentHelp("Per-channel standard deviation (e.g. 0.229,0.224,0.225).", valueName: "s,s,s"))
    var std: String?

    @Option(help: "Multiplier applied to the 0...255 pixel values first (1/255 = 0.00392156862745098).")
    var scale: Float?

    @Flag(help: "Feed the channels in BGR order (Caffe models).")
    var bgr = false

    @Option(help: ArgumentHelp("Model input size: N (square) or HxW.", valueName: "size"))
    var size: String?

    @Option(help: ArgumentHelp("The input's layout where its shape cannot tell (default: from the shape).", valueName: "NCHW|NHWC"))
    var layout: String?

    @Option(help: "Compute threads per request (default: all cores).")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        _ = try overrides()
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be between 1 and 256") }
    }

    /// Preprocessing set on the command line.
    func overrides() throws -> Manifest.PreprocessingOverrides {
        var o = Manifest.PreprocessingOverrides()
        func floats(_ text: String?, _ flag: String) throws -> [Float]? {
            guard let text else { return nil }
            let values = text.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard values.count == 3, values.allSatisfy({ $0 != nil }) else {
                throw ValidationError("--\(flag) takes three comma-separated numbers, got '\(text)'")
            }
            return values.map { $0! }
        }
        o.mean = try floats(mean, "mean")
        o.std = try floats(std, "std")
        o.scale = scale
        if bgr { o.color = .bgr }
        if let layout {
            guard let value = Layout(rawValue: layout.uppercased()) else {
                throw ValidationError("--layout takes NCHW or NHWC, got '\(layout)'")
            }
            o.layout = value
        }
        if let size {
            let parts = size.lowercased().split(separator: "x").map { Int($0) }
            switch parts.count {
            case 1 where parts[0] != nil: o.size = (parts[0]!, parts[0]!)
            case 2 where parts[0] != nil && parts[1] != nil: o.size = (parts[0]!, parts[1]!)
            default: throw ValidationError("--size takes N or HxW (e.g. 224 or 224x224), got '\(size)'")
            }
        }
        return o
    }

    /// Loads the model: a file path, or a name in the models directory (loading only that one).
    func load() throws -> LoadedModel {
        try loadModel(model, modelsDirectory: modelsDirectory, overrides: try overrides())
    }
}

/// Loads `spec`: an .onnx path (keeping its manifest entry when it lies in the models
/// directory), or a model name in the models directory (loading only that one).
func loadModel(_ spec: String, modelsDirectory: String, overrides: Manifest.PreprocessingOverrides = .init()) throws -> LoadedModel {
    if spec.hasSuffix(".onnx") || spec.contains("/") {
        let registry = try? ModelRegistry(directory: modelsDirectory)
        let file = URL(fileURLWithPath: spec)
        let inDirectory = file.deletingLastPathComponent().standardizedFileURL.path
            == URL(fileURLWithPath: modelsDirectory).standardizedFileURL.path
        let entry = inDirectory ? registry?.manifest.entry(forFile: file.lastPathComponent) : nil
        return try ModelRegistry.load(file: spec, entry: entry, overrides: overrides, directory: inDirectory ? modelsDirectory : nil)
    }
    let registry = try ModelRegistry(directory: modelsDirectory)
    guard let candidate = registry.candidates().first(where: { $0.name == spec }) else {
        if let missing = registry.missing().first(where: { $0.name == spec }) {
            throw CommandError("model '\(spec)' is described in the manifest but '\(missing.file)' is not in \(modelsDirectory); run models/fetch \(spec)")
        }
        throw ModelError.unknownModel(spec, available: registry.candidates().map(\.name))
    }
    return try ModelRegistry.load(file: (modelsDirectory as NSString).appendingPathComponent(candidate.file),
                                  name: candidate.name, entry: candidate.entry, overrides: overrides,
                                  directory: modelsDirectory)
}

/// Reads a whole file, with an error that names it.
func readInput(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else {
        let reason = FileManager.default.fileExists(atPath: path) ? "not readable" : "no such file"
        throw CommandError("cannot read input image '\(path)': \(reason)")
    }
    return [UInt8](data)
}
