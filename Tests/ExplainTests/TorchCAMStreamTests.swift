import Foundation
import Testing
import ONNX
import Tensor
@testable import Explain

/// SS-CAM at several layers against torch-cam 0.5.0, and the seeded normal stream against
/// values computed one by one in Python, both from `torchcam_multilayer_cases.json`
/// (`tools/fixtures/make_torchcam_fixtures.py`).
///
/// torch-cam draws its noise from one stream across its target layers; the reference is fed
/// `Stream(seed)` that way, and gives one map per layer. Our explanation fuses the layers'
/// maps (`Heatmap.fused`), so the reference's maps are fused the same way and compared:
/// Pearson r >= 0.999 and within 2e-3 everywhere. Few samples of strong noise, so that a
/// stream restarted at each layer gives another map.
@Suite struct TorchCAMStreamTests {
    struct File: Decodable {
        let records: [Record]
        let stream: [StreamValue]
    }

    struct Record: Decodable, CustomTestStringConvertible {
        let `case`: String
        let model: String
        let input: String
        let kind: String
        let `class`: Int
        let parameters: CaptumRecord.Parameters
        let layers: [Layer]

        struct Layer: Decodable {
            let layer: String
            let layerTensor: String
            let shape: [Int]
            let files: [String: String]

            enum CodingKeys: String, CodingKey {
                case layer, shape, files
                case layerTensor = "layer_tensor"
            }
        }

        var testDescription: String { "\(self.case) SSCAM \(layers.map(\.layer)) \(parameters)" }

        /// The record as a single-map reference record, for `References.model`.
        var reference: ReferenceRecord {
            ReferenceRecord(case: self.case, model: model, input: input, kind: kind, method: "SSCAM", layer: nil,
                            layerTensor: nil, class: self.class, files: [:])
        }
    }

    /// Normal `index` of `WeightGenerator(seed)`'s stream, as a float's bits.
    struct StreamValue: Decodable, CustomTestStringConvertible {
        let seed: UInt64
        let index: Int
        let bits: UInt32

        var testDescription: String { "seed \(seed) normal \(index)" }
    }

    static let file: File = {
        let data = try! Data(contentsOf: References.folder.appendingPathComponent("torchcam_multilayer_cases.json"))
        return try! JSONDecoder().decode(File.self, from: data)
    }()

    @Test(arguments: file.records)
    func severalLayersDrawFromOneStream(_ record: Record) throws {
        let (model, input) = try References.model(record.reference)
        var parameters = MethodParameters()
        parameters.samples = record.parameters.samples
        parameters.noiseLevel = record.parameters.noise_level
        parameters.seed = record.parameters.seed
        let layers = try record.layers.map { try model.layer(named: $0.layerTensor) }
        let result = try Explainer(model: model).explain(input, method: .sscam, classes: [record.class], layers: layers,
                                                         parameters: parameters)
        let expected = Heatmap.fused(try record.layers.map { layer in
            let raw = try TensorFile.read(References.folder.appendingPathComponent(layer.files["raw"]!).path).floats
            return Heatmap(raw: raw, width: layer.shape[1], height: layer.shape[0])
        })
        let ours = result.classes[0].heatmap
        #expect(ours.width == expected.width && ours.height == expected.height)
        let r = pearson(ours.values, expected.values)
        let worst = zip(ours.values, expected.values).map { abs($0 - $1) }.max() ?? 0
        #expect(r >= 0.999, "Pearson r = \(r)")
        #expect(worst <= 2e-3, "max |difference| = \(worst)")
    }

    /// The stream's values, bit for bit, one draw at a time.
    @Test(arguments: file.stream)
    func seededNormalsAreExact(_ value: StreamValue) {
        var generator = WeightGenerator(seed: value.seed)
        for _ in 0..<value.index { _ = generator.normal() }
        #expect(generator.normal().bitPattern == value.bits)
    }
}
