import Foundation
import Testing
import Tensor
@testable import Explain

/// AblationCAM, KPCA-CAM and FinerCAM against pytorch-grad-cam (1.5.7) on the reduced vgg16,
/// alexnet and resnet18 at their default layers, AblationCAM also at vgg16's convolution
/// `features.28` whose activations go below 0 (`tools/fixtures/make_pgc2_fixtures.py` writes
/// `explain/pgc2.json`): Pearson r >= 0.999 and the normalized maps within 2e-3 of the
/// library's (KPCA-CAM after the library's own sign correction, which ours applies). The same
/// for FinerCAM and KPCA-CAM with parameters other than the library's defaults
/// (`make_method_parameter_fixtures.py` writes `explain/method_parameters.json`), whose
/// document reports them, and for FinerCAM on models of 3 and 10 classes
/// (`FinerCAMFewClassesTests.records`).
@Suite struct PytorchGradCAMMoreMethodsAgreementTests {
    static let records: [ReferenceRecord] = {
        let data = try! Data(contentsOf: References.folder.appendingPathComponent("pgc2.json"))
        return try! JSONDecoder().decode(References.Index.self, from: data).records + parameterRecords.filter { $0.kind == "pgc_cam" }
            + FinerCAMFewClassesTests.records
    }()

    /// The records of `method_parameters.json`.
    static let parameterRecords: [ReferenceRecord] = {
        let data = try! Data(contentsOf: References.folder.appendingPathComponent("method_parameters.json"))
        return try! JSONDecoder().decode(References.Index.self, from: data).records
    }()

    static func records(method: String) -> [ReferenceRecord] { records.filter { $0.method == method } }

    @Test(arguments: records)
    func layerMapsAgree(_ record: ReferenceRecord) throws {
        let (model, input) = try References.model(record)
        let method = try #require(Method(named: record.method!))
        let result = try Explainer(model: model).explain(input, method: method, classes: [record.class!],
                                                         layers: [try model.layer(named: record.layerTensor!)],
                                                         parameters: record.methodParameters)
        if let parameters = record.parameters { expectReported(result.parameters, parameters) }
        let expected = try record.tensor("normalized")
        let ours = result.classes[0].heatmap
        #expect([ours.height, ours.width] == expected.shape)
        let r = pearson(ours.values, expected.floats)
        let worst = zip(ours.values, expected.floats).map { abs($0 - $1) }.max() ?? 0
        #expect(r >= 0.999, "Pearson r = \(r), required 0.999")
        #expect(worst <= 2e-3, "max |difference| = \(worst), allowed 2e-3")
    }

    /// FinerCAM compares each class with the classes the library chose (`comparisons`), and
    /// its seed is the gradient of its target: central differences of `f(s)` in Double.
    @Test(arguments: records(method: "finercam"))
    func finerComparesTheLibrarysClasses(_ record: ReferenceRecord) throws {
        let (model, input) = try References.model(record)
        let logits = try Explainer(model: model).predict(input)
        let parameters = record.methodParameters
        let ranks = try FinerCAM.ranks(parameters, classes: logits.count)
        let alpha = Double(parameters.comparisonAlpha ?? FinerCAM.defaultAlpha)
        let compared = FinerCAM.comparisons(logits, main: record.class!, ranks: ranks)
        #expect(compared == record.comparisons)
        let seed = FinerCAM.seed(logits, main: record.class!, ranks: ranks, alpha: alpha)
        func target(_ s: [Double]) -> Double {
            let top = s.max()!, e = s.map { exp($0 - top) }, z = e.reduce(0, +)
            let numerator = compared.reduce(0.0) { $0 + e[$1] / z * (s[record.class!] - alpha * s[$1]) }
            return numerator / (compared.reduce(0.0) { $0 + e[$1] / z } + 1e-9)
        }
        let s = logits.map(Double.init), h = 1e-4
        for i in compared + [record.class!, 0, logits.count - 1] {
            var up = s, down = s
            up[i] += h
            down[i] -= h
            let expected = (target(up) - target(down)) / (2 * h)
            #expect(abs(Double(seed[i]) - expected) <= 1e-4 * max(1, abs(expected)), "class \(i): \(seed[i]) vs \(expected)")
        }
    }

    /// After another method's passes, FinerCAM runs the explained forward pass again: the
    /// same maps as alone.
    @Test func finerAfterOtherPassesAgrees() throws {
        let record = try #require(Self.records(method: "finercam").first)
        let (model, input) = try References.model(record)
        let layer = try model.layer(named: record.layerTensor!)
        let explainer = Explainer(model: model)
        let alone = try explainer.explain(input, method: .finercam, classes: [record.class!], layers: [layer])
        let after = try explainer.explain(input, methods: [.ablationcam, .finercam], classes: [record.class!], layers: [layer])
        #expect(after[1].classes[0].heatmap == alone.classes[0].heatmap)
    }

    /// A pass from the layer fed the layer's own activations gives the full pass's logits,
    /// runs only the nodes after the layer, and a batch gives each row what it gets alone.
    @Test func forwardFromTheLayerRunsOnlyWhatFollows() throws {
        let record = try #require(Self.records(method: "ablationcam").first)
        let (model, input) = try References.model(record)
        let layer = try model.layer(named: record.layerTensor!)
        let explainer = Explainer(model: model)
        let full = try explainer.executor.forward([model.input: input], keep: [layer.value])
        let logits = try full.tensor(model.logits).floats
        let activations = layer.layout.nchw(try full.tensor(layer.value))
        var ablated = activations
        for i in 0..<(ablated.count / ablated.shape[1]) { ablated.floats[i] = 0 }
        let profile = OperatorProfile()
        explainer.profile = profile
        let fromLayer = try explainer.scores(from: layer, activations: activations)
        explainer.profile = nil
        #expect(zip(fromLayer, logits).map { abs($0 - $1) }.max()! <= 1e-5 * logits.map(abs).max()!)
        let producer = try #require(model.graph.nodes.firstIndex { $0.outputs.contains(layer.value) })
        #expect(!profile.entries.isEmpty)
        #expect(profile.entries.keys.allSatisfy { $0 > producer }, "only nodes after the layer's producer run")

        let alone = try explainer.scores(from: layer, activations: ablated)
        let batch = try explainer.scores(from: layer, activations: Tensor(shape: [2] + activations.shape.dropFirst(),
                                                                          floats: activations.floats + ablated.floats))
        let classes = logits.count
        #expect(zip(batch[..<classes], fromLayer).map { abs($0 - $1) }.max()! <= 1e-5 * logits.map(abs).max()!)
        #expect(zip(batch[classes...], alone).map { abs($0 - $1) }.max()! <= 1e-5 * logits.map(abs).max()!)
    }

    /// AblationCAM runs its ablations batched from the layer, one pass per batch of live
    /// channels: a channel that is 0 everywhere already (dead after the ReLU) costs no pass.
    @Test func ablationSkipsDeadChannelsAndBatches() throws {
        for record in Self.records(method: "ablationcam") {
            let (model, input) = try References.model(record)
            let layer = try model.layer(named: record.layerTensor!)
            let explainer = Explainer(model: model)
            let full = try explainer.executor.forward([model.input: input], keep: [layer.value])
            let a = try LayerActivations(layer.layout.nchw(full.tensor(layer.value)), layer: layer.name)
            let minimum = a.values.min()!
            let ablated: Float = minimum == 0 ? 0 : minimum - AblationCAM.ablationOffset
            let live = (0..<a.channels).filter { c in a.values[c * a.plane ..< (c + 1) * a.plane].contains { $0 != ablated } }.count
            let batch = explainer.layerBatchSize(layer)
            let before = explainer.forwardCount
            _ = try explainer.explain(input, method: .ablationcam, classes: [record.class!], layers: [layer])
            #expect(explainer.forwardCount - before == 1 + (live + batch - 1) / batch, "\(record.case): \(live) live channels of \(a.channels), \(batch) a pass")
        }
    }

    /// A layer with a skip connection around it cannot start a forward pass: refused, naming it.
    @Test func ablationRefusesALayerInsideAResidualBlock() throws {
        let record = try #require(Self.records(method: "ablationcam").first { $0.case == "resnet18_small" })
        let (model, input) = try References.model(record)
        let inner = try model.layer(named: "/layer4/layer4.0/relu/Relu_output_0")
        #expect {
            try Explainer(model: model).explain(input, method: .ablationcam, classes: nil, layers: [inner])
        } throws: { error in
            guard case .unsupportedModel(let reason) = error as? ExplainError else { return false }
            return reason.contains("cannot start at the layer '\(inner.name)'")
        }
    }
}
