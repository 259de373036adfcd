import Explain
import Foundation
import Testing
@testable import Models

/// A model's input layout at load: found from the input's shape, stated by the manifest where
/// the shape cannot tell, refused when the two disagree or when the input is not an image.
@Suite struct LayoutLoadingTests {
    static func fixture(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../Fixtures/models/layers/\(name).onnx").standardizedFileURL.path
    }

    @Test func anNHWCInputIsFoundFromItsShape() throws {
        let model = try ModelRegistry.load(file: Self.fixture("nhwc_input"))
        #expect(model.preprocessing.layout == .nhwc)
        #expect(model.preprocessing.height == 16 && model.preprocessing.width == 16)
        #expect(model.explainable.inputShape == [1, 16, 16, 3])
        #expect(model.explainable.layers.first?.layout == Layout.nhwc)
    }

    @Test func aStatedLayoutThatContradictsTheShapeIsRefused() {
        var overrides = Manifest.PreprocessingOverrides()
        overrides.layout = .nchw
        #expect { try ModelRegistry.load(file: Self.fixture("nhwc_input"), overrides: overrides) } throws: {
            "\($0)".contains("the layout is NCHW, but the input 'input' has shape [1, 16, 16, 3], which is NHWC")
        }
    }

    @Test(arguments: [("rank2_input", "[1, 8]"), ("five_channels", "[1, 5, 8, 8]")])
    func anInputThatIsNotAnImageIsRefused(_ name: String, _ shape: String) {
        #expect { try ModelRegistry.load(file: Self.fixture(name)) } throws: {
            "\($0)".contains("input 'input': cannot explain this model: the input has shape \(shape), which is not an image")
        }
    }

    @Test func theManifestStatesTheLayout() throws {
        let json = #"{"models": [{"name": "m", "file": "m.onnx", "preprocessing": {"layout": "NHWC"}}]}"#
        let manifest = try Manifest(data: Data(json.utf8), path: "manifest.json")
        #expect(manifest.entries[0].preprocessing.layout == .nhwc)
    }

    @Test func anUnknownLayoutIsRefusedNamingTheAcceptedOnes() {
        let json = #"{"models": [{"name": "m", "file": "m.onnx", "preprocessing": {"layout": "CHW"}}]}"#
        #expect(throws: ModelError.manifest(path: "manifest.json", reason: "entry 1: \"layout\" must be one of NCHW, NHWC, got 'CHW'")) {
            try Manifest(data: Data(json.utf8), path: "manifest.json")
        }
    }
}
