#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import FuzzSupport
import ONNX

/// Fuzzes the ONNX importer from a model file's bytes: the wire scanner that lifts weights,
/// swift-protobuf's decoding of the rest, tensor conversion and graph construction, through
/// `ModelImporter.load(path:)` as the registry calls it.
///
/// The bytes are written to `model.onnx` in a private directory of their own (external-data
/// paths can only reach that directory), and loaded twice. Invariants on success: the opset is
/// a supported one, every declared input is a graph input, and both loads agree.
func fuzzONNX(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = fuzzInput(data, count)
    let file = modelPath
    let written = bytes.withUnsafeBytes { buffer -> Bool in
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return write(fd, buffer.baseAddress, buffer.count) == buffer.count
    }
    invariant(written, "cannot write \(file)")

    guard let model = try? ModelImporter.load(path: file) else { return 0 }
    invariant(ModelImporter.supportedOpsets.contains(model.opset), "opset \(model.opset) was accepted")
    for input in model.inputs {
        invariant(model.graph.inputs.contains(input.value), "input '\(input.name)' is not a graph input")
    }
    let again = try? ModelImporter.load(path: file)
    invariant(again.map { summary($0) } == summary(model), "two loads of the same bytes differ")
    return 0
}

/// What must not change between two loads of the same file.
private func summary(_ model: ImportedModel) -> [String] {
    ["\(model.opset)", model.producer, "\(model.inputs.map { "\($0.name) \($0.shape)" })",
     "\(model.graph.valueNames)", "\(model.graph.nodes.map(\.name))", "\(model.graph.outputs)"]
}

/// `model.onnx` in a directory of its own, made once per process.
private let modelPath: String = {
    let directory = NSTemporaryDirectory() + "gradcam-fuzz-onnx-\(getpid())"
    try? FileManager.default.removeItem(atPath: directory)
    do {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    } catch {
        invariant(false, "cannot make \(directory): \(error)")
    }
    return directory + "/model.onnx"
}()
