import Foundation
import Testing
@testable import Models

/// A graph whose shape computations were folded when it loaded (here: SAME padding from
/// the feature map's size, interpolate to another tensor's size, `x.view(x.size(0), -1)`)
/// computes correctly at its declared input size only; another size is refused at load.
@Suite struct FoldedSizeTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/models/idioms_torchscript/model.onnx").standardizedFileURL.path

    @Test func loadsAtItsOwnSize() throws {
        let model = try ModelRegistry.load(file: Self.fixture, name: "idioms")
        #expect(model.explainable.inputShape == [1, 3, 224, 224])
        #expect(model.explainable.classCount == 10)
    }

    @Test func anotherSizeIsRefused() throws {
        var overrides = Manifest.PreprocessingOverrides()
        overrides.size = (height: 160, width: 160)
        #expect { try ModelRegistry.load(file: Self.fixture, name: "idioms", overrides: overrides) } throws: { error in
            "\(error)".contains("folded for [1, 3, 224, 224] when it loaded; it cannot run on [1, 3, 160, 160]")
        }
    }
}
