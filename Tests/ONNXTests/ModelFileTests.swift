import Foundation
import Testing
import Tensor
@testable import ONNX

/// A model file re-imported or written back with some initializers replaced (the sanity
/// check's randomized networks): what is replaced changes, nothing else does, and what
/// cannot be replaced is refused by name.
@Suite struct ModelFileTests {
    static let path = ModelFixtureTests.folder.appendingPathComponent("vgg16_small/model.onnx").path

    @Test func aWrittenModelReadsBackWithTheReplacement() throws {
        let file = try ModelFile(path: Self.path)
        let original = try ModelImporter.load(path: Self.path).graph
        let (id, weight) = try #require(original.constants.first { original.name(of: $0.key).contains("weight") && $0.value.rank == 4 })
        let name = original.name(of: id)
        let replacement = Tensor(shape: weight.shape, floats: weight.floats.indices.map { Float($0 % 7) - 3 })
        let destination = FileManager.default.temporaryDirectory.appendingPathComponent("modelfile-\(UUID()).onnx").path
        defer { try? FileManager.default.removeItem(atPath: destination) }
        try file.write(replacing: [name: replacement], to: destination)
        let written = try ModelImporter.load(path: destination)
        #expect(written.graph.valueNames == original.valueNames)
        #expect(written.graph.nodes.map(\.name) == original.nodes.map(\.name))
        for (other, tensor) in original.constants {
            #expect(written.graph.constants[other] == (other == id ? replacement : tensor), "\(original.name(of: other))")
        }
        // Importing in memory gives the same graph as the written file.
        #expect(try file.imported(replacing: [name: replacement]).graph.constants == written.graph.constants)
    }

    @Test func replacementsMustNameAnInitializerOfTheSameShape() throws {
        let file = try ModelFile(path: Self.path)
        let original = try ModelImporter.load(path: Self.path).graph
        let (id, weight) = try #require(original.constants.first { $0.value.rank == 4 })
        #expect(throws: ONNXError.self) { try file.imported(replacing: ["not a weight": weight]) }
        #expect(throws: ONNXError.self) { try file.imported(replacing: [original.name(of: id): Tensor.zeros([weight.count])]) }
    }
}
