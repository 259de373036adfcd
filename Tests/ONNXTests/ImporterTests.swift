import Foundation
import SwiftProtobuf
import Testing
import Tensor
@testable import ONNX

/// The importer's refusals (each names what is wrong) and its data paths: raw and typed
/// initializers, `Constant` nodes, external data confined to the model's folder, and
/// truncated or corrupt files that must give errors, never crashes.
@Suite struct ImporterTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/models/alexnet_small/model.onnx").standardizedFileURL.path

    /// A fresh temporary folder.
    func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("onnx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// `y = Relu(x + w)` with `w [2]` given by `weights`, at opset `opset`.
    func model(opset: Int64 = 17, op: String = "Relu", weights: Onnx_TensorProto) -> Onnx_ModelProto {
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var set = Onnx_OperatorSetIdProto()
        set.version = opset
        model.opsetImport = [set]
        var input = Onnx_ValueInfoProto()
        input.name = "x"
        var output = Onnx_ValueInfoProto()
        output.name = "y"
        var add = Onnx_NodeProto()
        add.opType = "Add"
        add.input = ["x", "w"]
        add.output = ["s"]
        var last = Onnx_NodeProto()
        last.opType = op
        last.name = "last"
        last.input = ["s"]
        last.output = ["y"]
        model.graph.node = [add, last]
        model.graph.input = [input]
        model.graph.output = [output]
        model.graph.initializer = [weights]
        return model
    }

    func floats(_ values: [Float], raw: Bool) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = "w"
        t.dims = [Int64(values.count)]
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        if raw {
            t.rawData = values.withUnsafeBufferPointer { Data(buffer: $0) }
        } else {
            t.floatData = values
        }
        return t
    }

    func write(_ model: Onnx_ModelProto, to url: URL) throws -> String {
        try (model.serializedBytes() as Data).write(to: url)
        return url.path
    }

    func run(_ path: String, _ x: [Float]) throws -> [Float] {
        let imported = try ModelImporter.load(path: path)
        let executor = Executor(graph: imported.graph)
        return try executor.forward([imported.graph.inputs[0]: Tensor(shape: [2], floats: x)])
            .tensor(imported.graph.outputs[0]).floats
    }

    @Test(arguments: [true, false])
    func initializersFromRawAndTypedFields(raw: Bool) throws {
        let path = try write(model(weights: floats([1, -5], raw: raw)), to: try folder().appendingPathComponent("m.onnx"))
        #expect(try run(path, [2, 3]) == [3, 0])
    }

    @Test func externalDataInsideTheModelsFolderLoads() throws {
        let dir = try folder()
        try [Float(0), 10, -1].withUnsafeBufferPointer { Data(buffer: $0) }.write(to: dir.appendingPathComponent("weights.bin"))
        var w = floats([], raw: true)
        w.dims = [2]
        w.clearRawData()
        w.dataLocation = .external
        w.externalData = [("location", "weights.bin"), ("offset", "4"), ("length", "8")].map {
            var entry = Onnx_StringStringEntryProto()
            entry.key = $0.0
            entry.value = $0.1
            return entry
        }
        let path = try write(model(weights: w), to: dir.appendingPathComponent("m.onnx"))
        #expect(try run(path, [1, 1]) == [11, 0])
    }

    @Test(arguments: ["../weights.bin", "/etc/passwd", "sub/../../weights.bin"])
    func externalDataOutsideTheFolderIsRefused(_ location: String) throws {
        let dir = try folder()
        var w = floats([], raw: true)
        w.dims = [2]
        w.dataLocation = .external
        var entry = Onnx_StringStringEntryProto()
        entry.key = "location"
        entry.value = location
        w.externalData = [entry]
        let path = try write(model(weights: w), to: dir.appendingPathComponent("m.onnx"))
        #expect { try ModelImporter.load(path: path) } throws: { error in
            guard case ONNXError.externalData(let tensor, let reason) = error else { return false }
            return tensor == "w" && reason.contains(location)
        }
    }

    @Test func symbolicLinkLeadingOutIsRefused() throws {
        let dir = try folder(), outside = try folder()
        try Data(count: 8).write(to: outside.appendingPathComponent("secret.bin"))
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("weights.bin"), withDestinationURL: outside.appendingPathComponent("secret.bin"))
        var w = floats([], raw: true)
        w.dims = [2]
        w.dataLocation = .external
        var entry = Onnx_StringStringEntryProto()
        entry.key = "location"
        entry.value = "weights.bin"
        w.externalData = [entry]
        let path = try write(model(weights: w), to: dir.appendingPathComponent("m.onnx"))
        #expect { try ModelImporter.load(path: path) } throws: { "\($0)".contains("resolves outside the model's folder") }
    }

    @Test func unsupportedOperatorNamesItselfTheNodeAndTheSupportedList() throws {
        let path = try write(model(op: "Det", weights: floats([1, 2], raw: true)), to: try folder().appendingPathComponent("m.onnx"))
        #expect(throws: ONNXError.unsupportedOperator(op: "Det", node: "last", supported: ModelImporter.supportedOperators)) {
            try ModelImporter.load(path: path)
        }
        let message = "\(ONNXError.unsupportedOperator(op: "Det", node: "last", supported: ModelImporter.supportedOperators))"
        #expect(message.contains("'Det'") && message.contains("'last'") && message.contains("Conv, ") && message.contains("Relu"))
    }

    @Test func unsupportedOpsetIsRefused() throws {
        let path = try write(model(opset: 23, weights: floats([1, 2], raw: true)), to: try folder().appendingPathComponent("m.onnx"))
        #expect(throws: ONNXError.unsupportedOpset(domain: "", version: 23, supported: 1...22)) { try ModelImporter.load(path: path) }
    }

    @Test func wrongDataLengthIsRefused() throws {
        var w = floats([1, 2], raw: true)
        w.dims = [3]
        let path = try write(model(weights: w), to: try folder().appendingPathComponent("m.onnx"))
        #expect { try ModelImporter.load(path: path) } throws: { "\($0)".contains("8 bytes of data for 3 values") }
    }

    @Test func truncatedFilesGiveErrorsNeverCrashes() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.fixture))
        let dir = try folder()
        // Every cut inside the first 4 KiB (headers, node list), then a spread through the weights.
        let cuts = Array(stride(from: 0, to: 4096, by: 7)) + Array(stride(from: 4096, to: bytes.count - 1, by: bytes.count / 97))
        for cut in cuts {
            let url = dir.appendingPathComponent("cut.onnx")
            try bytes.prefix(cut).write(to: url)
            #expect(throws: (any Error).self, "a file cut at byte \(cut) loaded") { try ModelImporter.load(path: url.path) }
        }
    }

    @Test func garbageAndEmptyFilesAreCorrupt() throws {
        let dir = try folder()
        var random = SystemRandomNumberGenerator()
        for (name, data) in [("empty", Data()), ("text", Data("not a model\n".utf8)),
                             ("noise", Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) }))] {
            let url = dir.appendingPathComponent("\(name).onnx")
            try data.write(to: url)
            #expect(throws: ONNXError.self, "\(name)") { try ModelImporter.load(path: url.path) }
        }
        #expect(throws: ONNXError.self) { try ModelImporter.load(path: dir.appendingPathComponent("absent.onnx").path) }
    }
}
