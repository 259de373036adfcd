import Foundation
import Testing
import Tensor
@testable import Explain

/// A Captum 0.9 reference made by `tools/fixtures/make_captum_fixtures.py`: one method's
/// attribution `[C, H, W]` for one class, with the parameters it was called with (the noisy
/// methods fed our seeded noise).
struct CaptumRecord: Decodable, CustomTestStringConvertible {
    let `case`: String
    let model: String
    let input: String
    let method: String
    let `class`: Int
    let parameters: Parameters
    let files: [String: String]

    struct Parameters: Decodable {
        let steps: Int?
        let baseline: String?
        let samples: Int?
        let noise_level: Float?
        let window: Int?
        let stride: Int?
        let seed: UInt64?
        let base_method: String?
    }

    var testDescription: String { "\(self.case) \(method) class \(self.class) \(parameters)" }

    /// The record as the explain fixtures' loader takes it (paths relative to `References.folder`).
    var reference: ReferenceRecord {
        ReferenceRecord(case: self.case, model: model, input: input, kind: "captum", method: nil, layer: nil, layerTensor: nil,
                        class: self.class, files: files.mapValues { "../captum/" + $0 })
    }

    var methodParameters: MethodParameters {
        var p = MethodParameters()
        p.steps = parameters.steps
        p.baseline = parameters.baseline.flatMap(MethodParameters.Baseline.init(rawValue:))
        p.samples = parameters.samples
        p.noiseLevel = parameters.noise_level
        p.window = parameters.window
        p.stride = parameters.stride
        p.seed = parameters.seed
        p.baseMethod = parameters.base_method
        return p
    }

    /// `make_captum_fixtures.py`'s records and `make_noisetunnel_fixtures.py`'s (NoiseTunnel over
    /// other base methods than Saliency).
    static let all: [CaptumRecord] = ["cases.json", "noisetunnel_cases.json"].flatMap { file in
        struct Index: Decodable { let records: [CaptumRecord] }
        let url = References.folder.appendingPathComponent("../captum/" + file).standardizedFileURL
        return try! JSONDecoder().decode(Index.self, from: Data(contentsOf: url)).records
    }
}

/// Our input attributions against Captum's on the same models, classes and parameters:
/// Pearson r >= 0.999, and the least-squares scale `Σ ours·ref / Σ ref²` within 1% of 1
/// (r alone would not see a missing factor such as `1/samples`).
@Suite struct CaptumAgreementTests {
    @Test(arguments: CaptumRecord.all)
    func attributionAgrees(_ record: CaptumRecord) throws {
        let (model, input) = try References.model(record.reference)
        let method = try #require(Method(named: record.method))
        let result = try Explainer(model: model).explain(input, method: method, classes: [record.class], layers: [],
                                                         parameters: record.methodParameters)
        let ours = try #require(result.classes[0].attributions.first?.values)
        let expected = try record.reference.tensor("tensor")
        #expect(ours.shape == expected.shape)
        let r = pearson(ours.floats, expected.floats)
        #expect(r >= 0.999, "Pearson r = \(r)")
        let dot = zip(ours.floats, expected.floats).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let norm = expected.floats.reduce(0.0) { $0 + Double($1) * Double($1) }
        #expect(abs(dot / norm - 1) <= 0.01, "scale \(dot / norm)")
    }
}
