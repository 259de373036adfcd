import Testing
import Tensor
@testable import Explain

/// `Explainer.explain(batch:method:layers:)` against the same explainer run on each image
/// alone: one forward and one backward pass for the batch, each image with its own class
/// (given, or its own top-1), the same maps and scores to a float tolerance (batched matrix
/// products sum in another order: maps within 1e-4 of the [0, 1] range, logits within 1e-4 of
/// the largest score's magnitude), a bad item failing alone, and graphs that cannot run a
/// batch falling back to one image at a time.
@Suite struct BatchedExplainTests {
    static let mapTolerance: Float = 1e-4
    static let logitTolerance: Float = 1e-4

    func model(_ name: String) throws -> (ExplainableModel, Tensor) {
        try References.model(References.records(kind: "cam").first { $0.case == name }!)
    }

    /// Four different images from the fixture's input: itself, mirrored, darkened, and its
    /// values in reverse order (another picture altogether).
    func images(_ input: Tensor) -> [Tensor] {
        let height = input.shape[2], width = input.shape[3]
        var mirrored = input
        for plane in 0..<input.shape[1] * height {
            for x in 0..<width { mirrored.floats[plane * width + x] = input.floats[plane * width + width - 1 - x] }
        }
        return [input, mirrored, Tensor(shape: input.shape, floats: input.floats.map { $0 * 0.5 - 0.25 }),
                Tensor(shape: input.shape, floats: input.floats.reversed())]
    }

    func expectSame(_ batched: Explanation, _ alone: Explanation) {
        #expect(batched.classes.map(\.classIndex) == alone.classes.map(\.classIndex))
        let scale = max(alone.logits.map(abs).max()!, 1)
        #expect(zip(batched.logits, alone.logits).map { abs($0 - $1) }.max()! <= Self.logitTolerance * scale)
        let a = batched.classes[0].heatmap, b = alone.classes[0].heatmap
        #expect(a.width == b.width && a.height == b.height && a.isZero == b.isZero)
        #expect(zip(a.values, b.values).map { abs($0 - $1) }.max()! <= Self.mapTolerance)
    }

    @Test(arguments: [
        ("vgg16_small", Method.gradcam), ("alexnet_small", .gradcamPlusPlus), ("resnet18_small", .layercam),
        ("alexnet_small", .xgradcam), ("vgg16_small", .hirescam), ("resnet18_small", .eigencam),
    ])
    func aBatchEqualsEachImageAloneWithMixedClasses(_ name: String, _ method: Method) throws {
        let (model, input) = try model(name)
        let classes: [Int?] = [3, nil, model.classCount - 1, nil]
        let items = zip(images(input), classes).map { Explainer.BatchItem(input: $0, classIndex: $1) }
        let explainer = Explainer(model: model)
        let batched = try explainer.explain(batch: items, method: method, layers: [model.defaultLayer])
        #expect(explainer.forwardCount == 1)
        #expect(explainer.backwardCount == (method.needs.layerGradients ? 1 : 0))
        #expect(explainer.runsBatches)
        for (item, result) in zip(items, batched) {
            let alone = try Explainer(model: model).explain(item.input, method: method, classes: item.classIndex.map { [$0] },
                                                            layers: [model.defaultLayer])
            expectSame(try result.get(), alone)
        }
        // The top-1 images were explained for their own top class, not a shared one.
        let tops = try batched.map { try $0.get().classes[0].classIndex }
        #expect(tops[0] == 3 && tops[2] == model.classCount - 1)
    }

    @Test func fusedLayersAreBatchedToo() throws {
        let (model, input) = try model("vgg16_small")
        let layers = try ["/features/features.29/Relu_output_0", "/features/features.22/Relu_output_0"].map { try model.layer(named: $0) }
        let items = images(input).map { Explainer.BatchItem(input: $0, classIndex: nil) }
        let batched = try Explainer(model: model).explain(batch: items, method: .gradcam, layers: layers)
        for (item, result) in zip(items, batched) {
            expectSame(try result.get(), try Explainer(model: model).explain(item.input, method: .gradcam, classes: nil, layers: layers))
        }
    }

    @Test func aFailingItemFailsAloneAndTheOthersStillShareOnePass() throws {
        let (model, input) = try model("alexnet_small")
        let pictures = images(input)
        let items = [
            Explainer.BatchItem(input: pictures[0], classIndex: 1),
            Explainer.BatchItem(input: pictures[1], classIndex: model.classCount),
            Explainer.BatchItem(input: Tensor.zeros([1, 3, 8, 8]), classIndex: nil),
            Explainer.BatchItem(input: pictures[2], classIndex: nil),
        ]
        let explainer = Explainer(model: model)
        let results = try explainer.explain(batch: items, method: .gradcam, layers: [model.defaultLayer])
        #expect(throws: ExplainError.classOutOfRange(model.classCount, classCount: model.classCount)) { try results[1].get() }
        #expect(throws: ExplainError.self) { try results[2].get() }
        #expect(explainer.forwardCount == 1)
        for i in [0, 3] {
            let alone = try Explainer(model: model).explain(items[i].input, method: .gradcam, classes: items[i].classIndex.map { [$0] },
                                                            layers: [model.defaultLayer])
            expectSame(try results[i].get(), alone)
        }
    }

    /// The ONNX zoo's AlexNet reshapes to `[1, -1]`: a batch cannot pass its classifier, so the
    /// images are explained one at a time, with the same results, and batching stays off.
    @Test func aGraphWithAFixedBatchOfOneFallsBackToOneImageAtATime() throws {
        let (model, input) = try References.model(ReferenceRecord.bvlc)
        let items = images(input).prefix(3).map { Explainer.BatchItem(input: $0, classIndex: nil) }
        let explainer = Explainer(model: model)
        let results = try explainer.explain(batch: Array(items), method: .gradcam, layers: [model.defaultLayer])
        #expect(!explainer.runsBatches)
        #expect(explainer.forwardCount == 1 + items.count)  // the failed batch, then one per image
        for (item, result) in zip(items, results) {
            expectSame(try result.get(), try Explainer(model: model).explain(item.input, method: .gradcam, classes: nil, layers: [model.defaultLayer]))
        }
        _ = try explainer.explain(batch: Array(items), method: .gradcam, layers: [model.defaultLayer])
        #expect(explainer.forwardCount == 1 + 2 * items.count)  // no second attempt
    }

    /// Batches carry the layers' activations and gradients only: methods that score other
    /// inputs, read the class head or the input gradient run per image.
    @Test(arguments: [Method.scorecam, .cam, .guidedBackprop, .guidedGradcam])
    func methodsNeedingMoreThanTheLayerAreNotBatched(_ method: Method) throws {
        let (model, input) = try model("alexnet_small")
        #expect(!method.isBatchable)
        #expect(throws: ExplainError.self) {
            try Explainer(model: model).explain(batch: [.init(input: input, classIndex: nil)], method: method, layers: [model.defaultLayer])
        }
    }
}
