import Explain
import Foundation

/// One format of `gradcam batch --export`: writes files into the batch's output directory.
///
/// Per-image formats (`masks`, `overlays`) write as each image is done, from worker threads;
/// whole-batch formats (`coco`) write at the end, from every record of `results.jsonl`, so a
/// resumed batch's export covers the images of earlier runs too. Adding a format is one type
/// conforming to this protocol and its line in `BatchExports.make`.
public protocol BatchExport: Sendable {
    /// The name `--export` takes.
    var name: String { get }
    /// Whether `write(_:output:in:)` needs the overlays rendered (`ExplainSession`'s `render`).
    var needsOverlays: Bool { get }
    /// Whether the format needs a class map in each document (not a guided method's gradient).
    var needsClassMap: Bool { get }
    /// Writes this format's files for one image just explained. Called concurrently.
    func write(_ record: BatchRecord, output: ExplainSession.Output, in directory: URL) throws
    /// Writes this format's files for the whole batch, after the run.
    func finish(_ journal: BatchJournal, labels: [String]) throws
}

extension BatchExport {
    public var needsOverlays: Bool { false }
    public var needsClassMap: Bool { false }
    public func write(_ record: BatchRecord, output: ExplainSession.Output, in directory: URL) throws {}
    public func finish(_ journal: BatchJournal, labels: [String]) throws {}
}

/// Why an export could not be made or written.
public struct BatchExportError: Error, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// The formats `--export` accepts.
public enum BatchExports {
    /// `jsonl` is `results.jsonl`, which every batch writes (it is the resume journal).
    public static let names = ["jsonl", "coco", "label-studio", "masks", "overlays"]

    /// The exports named (a comma list), with `threshold` the fraction of a map's maximum that
    /// boxes and masks keep (0...1]. `jsonl` adds nothing: results.jsonl is always written.
    public static func make(_ list: String, threshold: Float) throws(BatchExportError) -> [any BatchExport] {
        var exports: [any BatchExport] = []
        for name in Set(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }).sorted() {
            switch name {
            case "jsonl": continue
            case "coco": exports.append(CocoExport(threshold: threshold))
            case "label-studio": exports.append(LabelStudioBatchExport(threshold: threshold))
            case "masks": exports.append(MaskExport(threshold: threshold))
            case "overlays": exports.append(OverlayExport())
            default:
                throw BatchExportError("unknown export '\(name)'; exports: \(names.joined(separator: ", "))")
            }
        }
        return exports
    }

    /// Writes `bytes` to `name` in the folder `folder` of `directory` (created when missing).
    static func write(_ bytes: [UInt8], named name: String, folder: String?, in directory: URL) throws(BatchExportError) {
        var target = directory
        if let folder {
            target = directory.appendingPathComponent(folder)
            do {
                try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
            } catch {
                throw BatchExportError("cannot create '\(target.path)': \(error.localizedDescription)")
            }
        }
        let path = target.appendingPathComponent(name).path
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw BatchExportError("cannot write '\(path)'")
        }
    }
}
