import Explain
import Foundation
import ONNX
import Tensor

/// Loads the models of a directory: every `*.onnx` in it, described by `manifest.json`
/// where an entry names the file, with ImageNet defaults and the file stem as name otherwise.
public struct ModelRegistry: Sendable {
    public let directory: String
    public let manifest: Manifest
    /// Loaded models by name, in name order.
    public private(set) var models: [LoadedModel] = []
    /// Models that could not be loaded, with the reason.
    public private(set) var failures: [(name: String, error: ModelError)] = []

    /// Reads the manifest; no model is loaded yet.
    public init(directory: String) throws(ModelError) {
        self.directory = directory
        manifest = try Manifest.load(path: (directory as NSString).appendingPathComponent("manifest.json"))
    }

    /// Every loadable model file: `(name, file, entry)` for each `*.onnx` in the directory.
    public func candidates() -> [(name: String, file: String, entry: Manifest.Entry?)] {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".onnx") }.sorted()
        return files.map { file in
            let entry = manifest.entry(forFile: file)
            return (entry?.name ?? String(file.dropLast(5)), file, entry)
        }
    }

    /// Manifest entries whose file is not in the directory (e.g. not fetched yet).
    public func missing() -> [Manifest.Entry] {
        let present = Set(candidates().map(\.file))
        return manifest.entries.filter { !present.contains($0.file) }
    }

    /// Loads every model (or only those named), recording failures instead of stopping.
    public mutating func loadAll(only names: Set<String>? = nil) {
        for candidate in candidates() where names?.contains(candidate.name) ?? true {
            do {
                models.append(try Self.load(file: (directory as NSString).appendingPathComponent(candidate.file),
                                            name: candidate.name, entry: candidate.entry, directory: directory))
            } catch {
                failures.append((candidate.name, error))
            }
        }
        models.sort { $0.name < $1.name }
    }

    /// The model called `name`.
    public func model(named name: String) throws(ModelError) -> LoadedModel {
        if let model = models.first(where: { $0.name == name }) { return model }
        if let failure = failures.first(where: { $0.name == name }) { throw failure.error }
        throw .unknownModel(name, available: models.map(\.name))
    }

    /// Loads one model file. `entry` (from a manifest) and `overrides` (from the command line)
    /// change the defaults: ImageNet preprocessing at the model's declared input size.
    public static func load(
        file path: String, name: String? = nil, entry: Manifest.Entry? = nil,
        overrides: Manifest.PreprocessingOverrides = .init(), directory: String? = nil
    ) throws(ModelError) -> LoadedModel {
        let modelName = name ?? entry?.name ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        guard FileManager.default.fileExists(atPath: path) else { throw .missingFile(model: modelName, path: path) }
        if let expected = entry?.sha256 {
            let actual: String
            do {
                actual = try SHA256.hex(ofFile: path)
            } catch {
                throw .load(model: modelName, reason: "\(error)")
            }
            guard actual == expected else { throw .checksumMismatch(file: path, expected: expected, actual: actual) }
        }
        let imported: ImportedModel
        do {
            imported = try ModelImporter.load(path: path)
        } catch {
            throw .load(model: modelName, reason: "\(error)")
        }
        guard imported.inputs.count == 1, let input = imported.inputs.first else {
            throw .load(model: modelName, reason: "expected one input image, the model has \(imported.inputs.count) inputs")
        }
        // Layout: the input's shape where it tells, else the manifest's "layout", else NCHW.
        let declared = input.shape
        let detected: Layout?
        do {
            detected = try Layout.ofImageInput(declared)
        } catch {
            throw .load(model: modelName, reason: "input '\(input.name)': \(error)")
        }
        let stated = overrides.layout ?? entry?.preprocessing.layout
        if let detected, let stated, detected != stated {
            throw .load(model: modelName, reason: "the layout is \(stated.rawValue), but the input '\(input.name)' has shape \(Layout.describe(declared)), which is \(detected.rawValue)")
        }
        var base = Preprocessing.imageNet()
        base.layout = stated ?? detected ?? .nchw
        // Size: the command line, then the manifest, then the model's own input shape.
        let axes = base.layout.axes
        if let h = declared[axes.height], let w = declared[axes.width] {
            base.height = h
            base.width = w
        } else if overrides.size == nil && entry?.preprocessing.size == nil {
            throw .load(model: modelName, reason: "the input '\(input.name)' has no fixed height and width; give a size (manifest \"size\" or --size)")
        }
        let preprocessing = overrides.applied(to: entry?.preprocessing.applied(to: base) ?? base)
        try preprocessing.validate()
        // Shapes computed from the input were folded into constants for its declared size.
        let fed = preprocessing.inputShape
        if let folded = imported.foldedInputShapes[input.value], folded != fed {
            throw .load(model: modelName, reason: "the graph computes shapes from its input, folded for \(folded) when it loaded; it cannot run on \(fed): use the model's own size")
        }
        let explainable: ExplainableModel
        do {
            explainable = try ExplainableModel(graph: imported.graph, inputShape: fed, inputLayout: preprocessing.layout)
        } catch {
            throw .load(model: modelName, reason: "\(error)")
        }
        var labels: [String]?
        if let file = entry?.labels {
            let labelsPath = ((directory ?? (path as NSString).deletingLastPathComponent) as NSString).appendingPathComponent(file)
            labels = try Labels.load(path: labelsPath, expectedCount: explainable.classCount)
        }
        return try LoadedModel(name: modelName, path: path, entry: entry,
                               opset: imported.opset, producer: imported.producer,
                               labels: labels, preprocessing: preprocessing, explainable: explainable)
    }
}
