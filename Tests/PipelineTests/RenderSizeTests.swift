import Explain
import Foundation
import Imaging
import Testing
import Models
@testable import Pipeline

/// The rendered images of `ExplainSession.explain` fit `maxSide` (aspect kept) and are
/// unchanged for images that already fit; the document stays in the upload's pixels.
@Suite struct RenderSizeTests {
    /// A models directory holding the small VGG16 fixture (input 224x224, squash).
    static let directory: String = {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let directory = FileManager.default.temporaryDirectory.appending(path: "gradcam-models-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try? FileManager.default.copyItem(at: repository.appending(path: "Tests/Fixtures/models/vgg16_small/model.onnx"),
                                          to: directory.appending(path: "vgg16_small.onnx"))
        return directory.path
    }()

    private func explain(width: Int, height: Int, method: Method, maxSide: Int) throws -> ExplainSession.Output {
        var registry = try ModelRegistry(directory: Self.directory)
        registry.loadAll(only: ["vgg16_small"])
        let pixels = (0..<(width * height * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 97) }
        let png = try Image(width: width, height: height, pixels: pixels).pngData()
        var options = ExplainOptions()
        options.method = method
        options.maxSide = maxSide
        return try ExplainSession(threads: 1).explain(png, model: registry.model(named: "vgg16_small"),
                                                      options: options, render: true)
    }

    @Test func overlayFitsMaxSide() throws {
        let output = try explain(width: 300, height: 120, method: .gradcam, maxSide: 64)
        #expect(output.pictures.compactMap(\.overlay).map { [$0.width, $0.height] } == [[64, 26]])
        #expect(output.document.image.width == 300 && output.document.image.height == 120)
        #expect(output.document.region == Region(x: 0, y: 0, width: 300, height: 120))
    }

    @Test func guidedImageFitsMaxSide() throws {
        let output = try explain(width: 90, height: 200, method: .guidedGradcam, maxSide: 50)
        let attributions = try #require(output.pictures.first).attributions
        #expect(attributions.map(\.name) == ["guided_gradcam", "guided_backprop"])
        #expect(attributions.map { [$0.image.width, $0.image.height] } == [[23, 50], [23, 50]])
    }

    @Test func imagesThatFitAreDrawnAtTheirSize() throws {
        let output = try explain(width: 300, height: 120, method: .gradcam, maxSide: 300)
        #expect(output.pictures.compactMap(\.overlay).map { [$0.width, $0.height] } == [[300, 120]])
    }

    @Test func maxSideIsValidated() {
        var options = ExplainOptions()
        options.maxSide = 0
        #expect(throws: ModelError.invalidRequest("max_side must be between 1 and 16384, got 0")) { try options.validate() }
        options.maxSide = 16385
        #expect(throws: ModelError.self) { try options.validate() }
    }
}
