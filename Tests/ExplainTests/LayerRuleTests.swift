import Foundation
import Testing
import ONNX
import Tensor
@testable import Explain

/// The fixtures of `tools/fixtures/make_layer_fixtures.py`: tiny graphs for each shape of the
/// default-layer rule, and channels-last graphs with pytorch-grad-cam references.
enum LayerFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/models/layers").standardizedFileURL

    struct DefaultCase: Decodable, CustomTestStringConvertible, Sendable {
        let name: String
        let model: String
        let expectedDefault: String
        var testDescription: String { name }
        enum CodingKeys: String, CodingKey { case name, model, expectedDefault = "expected_default" }
    }

    struct LayoutCase: Decodable, CustomTestStringConvertible, Sendable {
        let name: String
        let model: String
        let inputShape: [Int]
        let inputLayout: String
        let expectedDefault: String
        let layer: String
        let layerLayout: String
        let `class`: Int
        let files: [String: String]
        var testDescription: String { name }
        enum CodingKeys: String, CodingKey {
            case name, model, layer, `class`, files
            case inputShape = "input_shape", inputLayout = "input_layout", expectedDefault = "expected_default"
            case layerLayout = "layer_layout"
        }

        func tensor(_ key: String) throws -> Tensor {
            try TensorFile.read(LayerFixtures.folder.appendingPathComponent(files[key]!).path)
        }
    }

    struct Index: Decodable {
        let defaultLayer: [DefaultCase]
        let layouts: [LayoutCase]
        enum CodingKeys: String, CodingKey { case defaultLayer = "default_layer", layouts }
    }

    static let index: Index = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("cases.json"))
        return try! JSONDecoder().decode(Index.self, from: data)
    }()

    static func model(_ file: String, inputShape: [Int] = [1, 3, 16, 16], layout: Layout = .nchw) throws -> ExplainableModel {
        let imported = try ModelImporter.load(path: folder.appendingPathComponent(file).path)
        return try ExplainableModel(graph: imported.graph, inputShape: inputShape, inputLayout: layout)
    }
}

@Suite struct LayerRuleTests {
    /// Concat, Add, SiLU as Sigmoid·Mul, HardSwish before a 1x1-conv head, GELU before a
    /// ReduceMean, ReLU before a MaxPool and Flatten: the default is what the head reads.
    @Test(arguments: LayerFixtures.index.defaultLayer)
    func defaultLayerIsWhatThePoolingReads(_ fixture: LayerFixtures.DefaultCase) throws {
        let model = try LayerFixtures.model(fixture.model)
        #expect(model.defaultLayer.name == fixture.expectedDefault)
        #expect(model.defaultLayer.height * model.defaultLayer.width > 1)
    }

    @Test(arguments: LayerFixtures.index.layouts)
    func layoutsAreFoundFromTheInputThroughTransposes(_ fixture: LayerFixtures.LayoutCase) throws {
        let layout = try #require(Layout(rawValue: fixture.inputLayout))
        let model = try LayerFixtures.model(fixture.model, inputShape: fixture.inputShape, layout: layout)
        #expect(model.defaultLayer.name == fixture.expectedDefault)
        let layer = try model.layer(named: fixture.layer)
        #expect(layer.layout.rawValue == fixture.layerLayout)
        #expect(model.layers.first?.layout == Optional(layout))
        // Convolutions make NCHW whatever the input was.
        let convolutions = model.layers.filter { $0.op == "Conv" }
        #expect(!convolutions.isEmpty && convolutions.allSatisfy { $0.layout == .nchw })
    }

    /// Grad-CAM at a channels-last layer equals pytorch-grad-cam's with
    /// `reshape_transform = permute(0, 3, 1, 2)` (r ≥ 0.999, and within 1e-3), and the
    /// logits equal onnxruntime's within 1e-4 of the largest |logit|.
    @Test(arguments: LayerFixtures.index.layouts)
    func gradCAMAtAChannelsLastLayerAgreesWithPytorchGradCAM(_ fixture: LayerFixtures.LayoutCase) throws {
        let model = try LayerFixtures.model(fixture.model, inputShape: fixture.inputShape,
                                            layout: try #require(Layout(rawValue: fixture.inputLayout)))
        let input = try fixture.tensor("input")
        let layer = try model.layer(named: fixture.layer)
        let result = try Explainer(model: model).explain(input, method: .gradcam, classes: [fixture.class], layers: [layer])
        let expectedLogits = try fixture.tensor("logits").floats
        let largest = expectedLogits.map(abs).max()!
        let logitError = zip(result.logits, expectedLogits).map { abs($0 - $1) }.max()!
        #expect(logitError <= 1e-4 * largest)
        let expected = try fixture.tensor("gradcam")
        let map = result.classes[0].heatmap
        #expect([map.height, map.width] == Array(expected.shape))
        #expect(pearson(map.values, expected.floats) >= 0.999)
        #expect(zip(map.values, expected.floats).map { abs($0 - $1) }.max()! < 1e-3)
    }

    /// Methods that mask the input (Score-CAM) or return input gradients (guided
    /// backpropagation) take an NHWC input: the guided gradient comes back as `[3, H, W]`.
    @Test func inputMethodsWorkOnAnNHWCInput() throws {
        let fixture = try #require(LayerFixtures.index.layouts.first { $0.inputLayout == "NHWC" })
        let model = try LayerFixtures.model(fixture.model, inputShape: fixture.inputShape, layout: .nhwc)
        let input = try fixture.tensor("input")
        let explainer = Explainer(model: model)
        let guided = try explainer.explain(input, method: .guidedBackprop, classes: [fixture.class], layers: [])
        let gradient = try #require(guided.classes[0].attributions.first?.values)
        #expect(gradient.shape == [3, 16, 16])
        let scorecam = try explainer.explain(input, method: .scorecam, classes: [fixture.class], layers: [model.defaultLayer])
        #expect(!scorecam.classes[0].heatmap.isZero)
    }

    @Test func transposesMoveTheChannelAxis() {
        #expect(LayoutPropagation.permuted(.nchw, by: [0, 2, 3, 1]) == .nhwc)
        #expect(LayoutPropagation.permuted(.nhwc, by: [0, 3, 1, 2]) == .nchw)
        #expect(LayoutPropagation.permuted(.nchw, by: [0, 1, 3, 2]) == nil)
        #expect(LayoutPropagation.permuted(.nchw, by: [0, 1, 2]) == nil)
    }

    /// The dynamo exporter rebuilds ConvNeXt's pooled `[1, C, 1, 1]` with Reshape and Gather
    /// (`as_strided`) before LayerNorm2d's Permute: that rank-4 tensor comes from no rank-4
    /// input, is NCHW by convention, and its `[0, 2, 3, 1]` transpose is NHWC `[1, 1, 1, C]`
    /// (taken as NCHW it would look like a 1x768 map, and become the default layer).
    @Test func aTensorRebuiltFromAVectorIsNCHWAndItsTransposeNHWC() {
        var graph = Graph()
        let vector = graph.addValue(named: "vector")
        let shape = graph.addConstant(named: "shape", Tensor(shape: [4], integers: [1, 8, 1, 1]))
        let rebuilt = graph.addValue(named: "rebuilt")
        let permuted = graph.addValue(named: "permuted")
        graph.inputs = [vector]
        graph.append(Node(name: "reshape", op: Reshape(), inputs: [vector, shape], outputs: [rebuilt]))
        graph.append(Node(name: "permute", op: Transpose(perm: [0, 2, 3, 1]), inputs: [rebuilt], outputs: [permuted]))
        let layouts = LayoutPropagation.layouts(graph, shapes: [[1, 8], [4], [1, 8, 1, 1], [1, 1, 1, 8]],
                                                input: vector, inputLayout: .nchw)
        #expect(layouts[rebuilt] == .nchw)
        #expect(layouts[permuted] == .nhwc)
    }

    @Test func nchwAndBackAreInverse() {
        let nhwc = Tensor(shape: [2, 2, 3, 4], floats: (0..<48).map(Float.init))
        let planar = Layout.nhwc.nchw(nhwc)
        #expect(planar.shape == [2, 4, 2, 3])
        // Element [b, y, x, c] of NHWC is element [b, c, y, x] of NCHW.
        let (b, c, y, x) = (1, 3, 1, 2)
        let planarIndex = ((b * 4 + c) * 2 + y) * 3 + x
        let channelsLastIndex = ((b * 2 + y) * 3 + x) * 4 + c
        #expect(planar.floats[planarIndex] == nhwc.floats[channelsLastIndex])
        #expect(Layout.nhwc.fromNCHW(planar) == nhwc)
        #expect(Layout.nchw.nchw(nhwc) == nhwc)
    }

    @Test(arguments: [
        ([1, 3, 224, 224] as [Int?], Layout.nchw as Layout?), ([1, 224, 224, 3], .nhwc), ([1, 1, 28, 28], .nchw),
        ([nil, 3, nil, nil], .nchw), ([nil, nil, nil, 3], .nhwc), ([1, 3, 3, 3], nil), ([nil, nil, nil, nil], nil),
    ])
    func theInputShapeTellsTheLayout(_ shape: [Int?], _ layout: Layout?) throws {
        #expect(try Layout.ofImageInput(shape) == layout)
    }

    @Test(arguments: [[1, 8] as [Int?], [1, 5, 8, 8], [1, 3, 8, 8, 2]])
    func inputsThatAreNotImagesAreRefused(_ shape: [Int?]) {
        #expect { try Layout.ofImageInput(shape) } throws: { "\($0)".contains("which is not an image") }
    }
}
