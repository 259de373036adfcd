import Foundation
import Testing
@testable import Explain

/// FinerCAM with its default `comparison_categories` on a model with fewer classes than the
/// default ranks 1, 2, 3 need: it compares the ranks that exist, as pytorch-grad-cam does, and
/// the document reports those (`"1,2"` on 3 classes, `"1,2,3"` on 10). References by
/// `tools/fixtures/make_few_classes_fixtures.py` (`explain/few_classes.json`): twin small CNNs
/// with a 3- and a 10-class head, with the ranks the library compared (`library_ranks`). Their
/// maps and compared classes are checked with the other FinerCAM references, in
/// `PytorchGradCAMMoreMethodsAgreementTests`.
@Suite struct FinerCAMFewClassesTests {
    /// The ranks the library compared, by case (`library_ranks`, beside the common fields).
    struct Ranks: Decodable {
        struct Record: Decodable {
            let `case`: String
            let library_ranks: [Int]
        }
        let records: [Record]
    }

    static let json = try! Data(contentsOf: References.folder.appendingPathComponent("few_classes.json"))
    static let records = try! JSONDecoder().decode(References.Index.self, from: json).records
    static let ranks = Dictionary(uniqueKeysWithValues: try! JSONDecoder().decode(Ranks.self, from: json).records.map { ($0.case, $0.library_ranks) })

    @Test(arguments: records)
    func reportsTheRanksTheLibraryCompared(_ record: ReferenceRecord) throws {
        let (model, input) = try References.model(record)
        let result = try Explainer(model: model).explain(input, method: .finercam, classes: [record.class!],
                                                         layers: [try model.layer(named: record.layerTensor!)])
        let ranks = try #require(Self.ranks[record.case]).map(String.init).joined(separator: ",")
        #expect(result.parameters == ["comparison_alpha": .number(1), "comparison_categories": .string(ranks)])
    }

    /// The fixtures hold the two cases the issue names: 3 classes (ranks 1, 2) and 10 (1, 2, 3).
    @Test func coversThreeAndTenClasses() {
        #expect(Self.ranks == ["classes_3": [1, 2], "classes_10": [1, 2, 3]])
    }
}
