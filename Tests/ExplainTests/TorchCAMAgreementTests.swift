import Foundation
import Testing
import Tensor
@testable import Explain

/// Our torch-cam methods against torch-cam 0.5.0 on the fixture models, at the layer's
/// resolution: Pearson r >= 0.999 and the normalized maps within 2e-3 of the library's
/// everywhere. The deterministic ones from `tools/fixtures/make_torchcam_fixtures.py`; the
/// noisy ones from `make_torchcam_noisy_fixtures.py`, torch-cam fed our seeded noise, with
/// the parameters of each record.
@Suite struct TorchCAMAgreementTests {
    static let records: [ReferenceRecord] = load("torchcam_cases.json")
    static let noisyRecords: [NoisyRecord] = load("torchcam_noisy_cases.json")

    struct Index<Record: Decodable>: Decodable { let records: [Record] }

    static func load<Record: Decodable>(_ file: String) -> [Record] {
        let data = try! Data(contentsOf: References.folder.appendingPathComponent(file))
        return try! JSONDecoder().decode(Index<Record>.self, from: data).records
    }

    /// A reference record with the parameters our request gives.
    struct NoisyRecord: Decodable, CustomTestStringConvertible {
        let reference: ReferenceRecord
        let parameters: CaptumRecord.Parameters

        enum CodingKeys: String, CodingKey { case parameters }

        init(from decoder: any Decoder) throws {
            reference = try ReferenceRecord(from: decoder)
            parameters = try decoder.container(keyedBy: CodingKeys.self).decode(CaptumRecord.Parameters.self, forKey: .parameters)
        }

        var testDescription: String { "\(reference.testDescription) \(parameters)" }

        var methodParameters: MethodParameters {
            var p = MethodParameters()
            p.samples = parameters.samples
            p.noiseLevel = parameters.noise_level
            p.seed = parameters.seed
            return p
        }
    }

    static let methods: [String: Method] = ["ISCAM": .iscam, "SSCAM": .sscam, "SmoothGradCAMpp": .smoothgradcamPlusPlus]

    @Test(arguments: records)
    func classMapsAgree(_ record: ReferenceRecord) throws {
        try Self.check(record, parameters: MethodParameters())
    }

    @Test(arguments: noisyRecords)
    func noisyClassMapsAgree(_ record: NoisyRecord) throws {
        try Self.check(record.reference, parameters: record.methodParameters)
    }

    static func check(_ record: ReferenceRecord, parameters: MethodParameters) throws {
        let (model, input) = try References.model(record)
        let method = try #require(Self.methods[record.method ?? ""])
        let layer = try model.layer(named: record.layerTensor!)
        let result = try Explainer(model: model).explain(input, method: method, classes: [record.class!], layers: [layer],
                                                         parameters: parameters)
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

    /// SS-CAM reports its samples, noise level and seed, the defaults being torch-cam's.
    @Test func sscamReportsItsParameters() {
        var parameters = MethodParameters()
        #expect(Method.sscam.implementation.parameters(parameters) == ["samples": .int(35), "noise_level": .number(2), "seed": .int(0)])
        parameters.samples = 3
        parameters.noiseLevel = 0.5
        parameters.seed = 9
        #expect(Method.sscam.implementation.parameters(parameters) == ["samples": .int(3), "noise_level": .number(0.5), "seed": .int(9)])
    }

    /// Smooth Grad-CAM++ reports its samples, noise level and seed, the defaults being torch-cam's.
    @Test func smoothGradCAMPlusPlusReportsItsParameters() {
        var parameters = MethodParameters()
        #expect(Method.smoothgradcamPlusPlus.implementation.parameters(parameters)
                    == ["samples": .int(4), "noise_level": .number(0.30000001192092896), "seed": .int(0)])
        parameters.samples = 7
        parameters.seed = 5
        #expect(Method.smoothgradcamPlusPlus.implementation.parameters(parameters)
                    == ["samples": .int(7), "noise_level": .number(0.30000001192092896), "seed": .int(5)])
    }

    /// Two classes in one request share the noisy passes and equal each class explained alone
    /// by an explainer that never batches; the seed decides the noise.
    @Test(arguments: [Method.sscam, .smoothgradcamPlusPlus])
    func noisyMethodsShareTheirPassesAcrossClasses(_ method: Method) throws {
        let record = try #require(Self.records.first { $0.case == "alexnet_small" })
        let (model, input) = try References.model(record)
        let layer = try model.layer(named: record.layerTensor!)
        var p = MethodParameters()
        p.samples = 3
        p.seed = 4
        let maps = { (explainer: Explainer, classes: [Int], p: MethodParameters) in
            try explainer.explain(input, method: method, classes: classes, layers: [layer], parameters: p).classes.map(\.heatmap.values)
        }
        let together = try maps(Explainer(model: model), [record.class!, 3], p)
        let single = Explainer(model: model)
        single.scoreBatchSize = 1
        for (k, cls) in [record.class!, 3].enumerated() {
            let alone = try maps(single, [cls], p)[0]
            let worst = zip(together[k], alone).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-4, "class \(cls): max |difference| \(worst)")
        }
        p.seed = 5
        let other = try maps(Explainer(model: model), [record.class!], p)[0]
        #expect(zip(together[0], other).map { abs($0 - $1) }.max()! > 1e-3)
    }
}
