import Explain
import Foundation
import Imaging
import Testing
import Models
@testable import Pipeline

/// `dff`'s document (the CLI's and the API's: both are `ExplainSession.output`): the concepts
/// at the layer's resolution with their top classes, which only `dff` writes.
@Suite struct ConceptDocumentTests {
    /// A models directory holding the small ResNet18 fixture (global average pool + fc head).
    static let directory: String = {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let directory = FileManager.default.temporaryDirectory.appending(path: "gradcam-concept-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try? FileManager.default.copyItem(at: repository.appending(path: "Tests/Fixtures/models/resnet18_small/model.onnx"),
                                          to: directory.appending(path: "resnet18_small.onnx"))
        return directory.path
    }()

    private func document(_ method: Method, parameters: MethodParameters = MethodParameters()) throws -> (ExplanationDocument, [UInt8]) {
        var registry = try ModelRegistry(directory: Self.directory)
        registry.loadAll(only: ["resnet18_small"])
        let pixels = (0..<(40 * 30 * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 97) }
        let png = try Image(width: 40, height: 30, pixels: pixels).pngData()
        var options = ExplainOptions()
        options.method = method
        options.parameters = parameters
        options.classes = ["3", "9"]
        let output = try ExplainSession(threads: 1).explain(png, model: registry.model(named: "resnet18_small"),
                                                            options: options, render: false)
        return (output.document, try DocumentEncoding.json(output.document))
    }

    @Test func dffWritesItsConcepts() throws {
        let (document, json) = try document(.dff)
        let concepts = try #require(document.concepts)
        #expect(concepts.count == 5)
        for concept in concepts {
            #expect(concept.map.channels == nil && concept.map.width == 7 && concept.map.height == 7)
            #expect(concept.map.data.allSatisfy { (0...1).contains($0) })
            #expect(concept.topClasses.count == 2)
            #expect(concept.topClasses[0].logit >= concept.topClasses[1].logit)
        }
        // Each class's map is one of the concepts' maps.
        for entry in document.explanations {
            #expect(concepts.contains { $0.map == entry.map })
        }
        #expect(document.parameters == ["n_components": .int(5), "concept_classes": .int(2), "seed": .int(0)])
        let object = try JSONSerialization.jsonObject(with: Data(json)) as! [String: Any]
        let first = try #require((object["concepts"] as? [[String: Any]])?.first)
        #expect(Set(first.keys) == ["map", "top_classes"])
    }

    /// `n_components` and `concept_classes` set the concepts and the classes each lists, and
    /// the document reports them.
    @Test func dffTakesItsParameters() throws {
        var parameters = MethodParameters()
        parameters.nComponents = 3
        parameters.conceptClasses = 4
        let (document, _) = try document(.dff, parameters: parameters)
        let concepts = try #require(document.concepts)
        #expect(concepts.count == 3)
        for concept in concepts {
            #expect(concept.topClasses.count == 4)
            #expect(zip(concept.topClasses, concept.topClasses.dropFirst()).allSatisfy { $0.logit >= $1.logit })
        }
        #expect(document.parameters == ["n_components": .int(3), "concept_classes": .int(4), "seed": .int(0)])
    }

    @Test func otherMethodsWriteNoConcepts() throws {
        let (document, json) = try document(.gradcam)
        #expect(document.concepts == nil)
        let object = try JSONSerialization.jsonObject(with: Data(json)) as! [String: Any]
        #expect(object["concepts"] == nil)
    }
}
