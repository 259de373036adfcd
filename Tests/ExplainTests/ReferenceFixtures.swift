import Foundation
import Testing
import ONNX
import Tensor
@testable import Explain

/// The pytorch-grad-cam references made by `tools/fixtures/make_explain_fixtures.py`.
struct ReferenceRecord: Decodable, CustomTestStringConvertible {
    let `case`: String
    let model: String
    let input: String
    let kind: String
    let method: String?
    let layer: String?
    let layerTensor: String?
    let `class`: Int?
    let files: [String: String]
    /// FinerCAM: the comparison classes the library chose.
    var comparisons: [Int]? = nil
    /// The method's parameters the library was called with, by the API's names, as the
    /// document reports them (`make_method_parameter_fixtures.py`); nil: its defaults.
    var parameters: [String: ParameterValue]? = nil

    enum CodingKeys: String, CodingKey {
        case `case`, model, input, kind, method, layer, `class`, files, comparisons, parameters
        case layerTensor = "layer_tensor"
    }

    var testDescription: String { "\(self.case) \(method ?? kind) \(layer ?? "") class \(self.class.map(String.init) ?? "-")" }

    /// Our method name for the library's class name.
    var ourMethod: Method? {
        switch method {
        case "GradCAM": .gradcam
        case "GradCAMPlusPlus": .gradcamPlusPlus
        case "XGradCAM": .xgradcam
        case "HiResCAM": .hirescam
        case "LayerCAM": .layercam
        case "EigenCAM": .eigencam
        case "ScoreCAM": .scorecam
        case "CAM": .cam
        default: nil
        }
    }

    /// `parameters` as the explainer takes them.
    var methodParameters: MethodParameters {
        var m = MethodParameters()
        for (name, value) in parameters ?? [:] {
            switch (name, value) {
            case ("comparison_alpha", .number(let v)): m.comparisonAlpha = Float(v)
            case ("comparison_categories", .string(let v)): m.comparisonCategories = v.split(separator: ",").map { Int($0)! }
            case ("kernel", .string(let v)): m.kernel = MethodParameters.Kernel(rawValue: v)!
            case ("gamma", .number(let v)): m.gamma = Float(v)
            case ("n_components", .int(let v)): m.nComponents = v
            case ("seed", .int(let v)): m.seed = UInt64(v)
            default: Issue.record("unexpected parameter \(name) = \(value)")
            }
        }
        return m
    }

    func tensor(_ key: String) throws -> Tensor {
        try TensorFile.read(References.folder.appendingPathComponent(files[key]!).path)
    }
}

enum References {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/explain").standardizedFileURL

    struct Index: Decodable { let records: [ReferenceRecord] }

    static let records: [ReferenceRecord] = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("cases.json"))
        return try! JSONDecoder().decode(Index.self, from: data).records
    }()

    static func records(kind: String) -> [ReferenceRecord] { records.filter { $0.kind == kind } }

    /// Prepared models, loaded once per model file.
    nonisolated(unsafe) private static var cache: [String: (ExplainableModel, Tensor)] = [:]
    private static let lock = NSLock()

    /// The model and input of a record.
    static func model(_ record: ReferenceRecord) throws -> (ExplainableModel, Tensor) {
        try lock.withLock {
            if let hit = cache[record.model] { return hit }
            let imported = try ModelImporter.load(path: folder.appendingPathComponent(record.model).path)
            let input = try TensorFile.read(folder.appendingPathComponent(record.input).path)
            let prepared = (try ExplainableModel(graph: imported.graph, inputShape: input.shape), input)
            cache[record.model] = prepared
            return prepared
        }
    }
}

/// Expects the document's `parameters` to be `expected`: the same names, the same values, numbers
/// within 1e-6 relative (a Float parameter is reported as its Double).
func expectReported(_ reported: [String: ParameterValue], _ expected: [String: ParameterValue]) {
    #expect(Set(reported.keys) == Set(expected.keys))
    for (name, value) in expected {
        if case .number(let want) = value, case .number(let got)? = reported[name] {
            #expect(abs(got - want) <= 1e-6 * abs(want), "\(name): \(got) vs \(want)")
        } else {
            #expect(reported[name] == value, "\(name)")
        }
    }
}

/// Pearson's correlation coefficient of two equally long series (in Double).
func pearson<A: Collection, B: Collection>(_ a: A, _ b: B) -> Double where A.Element == Float, B.Element == Float {
    let x = a.map(Double.init), y = b.map(Double.init)
    precondition(x.count == y.count && !x.isEmpty)
    let mx = x.reduce(0, +) / Double(x.count), my = y.reduce(0, +) / Double(y.count)
    var sxy = 0.0, sxx = 0.0, syy = 0.0
    for (u, v) in zip(x, y) {
        sxy += (u - mx) * (v - my)
        sxx += (u - mx) * (u - mx)
        syy += (v - my) * (v - my)
    }
    return sxy / (sxx * syy).squareRoot()
}
