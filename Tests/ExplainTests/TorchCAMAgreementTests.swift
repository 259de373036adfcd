import Foundation
import Testing
import Tensor
@testable import Explain

/// Our torch-cam methods against torch-cam 0.5.0 (`tools/fixtures/make_torchcam_fixtures.py`)
/// on the fixture models, at the layer's resolution: Pearson r >= 0.999 and the normalized maps
/// within 2e-3 of the library's everywhere.
@Suite struct TorchCAMAgreementTests {
    static let records: [ReferenceRecord] = {
        let data = try! Data(contentsOf: References.folder.appendingPathComponent("torchcam_cases.json"))
        return try! JSONDecoder().decode(References.Index.self, from: data).records
    }()

    static let methods: [String: Method] = ["ISCAM": .iscam]

    @Test(arguments: records)
    func classMapsAgree(_ record: ReferenceRecord) throws {
        let (model, input) = try References.model(record)
        let method = try #require(Self.methods[record.method ?? ""])
        let layer = try model.layer(named: record.layerTensor!)
        let result = try Explainer(model: model).explain(input, method: method, classes: [record.class!], layers: [layer])
        let ours = result.classes[0].heatmap.values
        let expected = try record.tensor("normalized").floats
        #expect(ours.count == expected.count)
        let r = pearson(ours, expected)
        let worst = zip(ours, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(r >= 0.999, "Pearson r = \(r)")
        #expect(worst <= 2e-3, "max |difference| = \(worst)")
    }

    /// The samples used are reported, the default being torch-cam's.
    @Test func iscamReportsItsSamples() {
        var parameters = MethodParameters()
        #expect(Method.iscam.implementation.parameters(parameters) == ["samples": .int(10)])
        parameters.samples = 3
        #expect(Method.iscam.implementation.parameters(parameters) == ["samples": .int(3)])
    }
}
