import Testing
import Tensor
@testable import Explain

/// The explainer's behaviour beyond numeric agreement: several classes share one forward
/// and one backward pass, layers resolve by tensor, node or alias, the default layer
/// is the activation the classifier reads (VGG16 relu5_3 and AlexNet relu5 back over the
/// last MaxPool, ResNet's last block), fusion and dilation raise the resolution,
/// and what cannot be done is refused with the reason.
@Suite struct ExplainerTests {
    func vgg() throws -> (ExplainableModel, Tensor) {
        try References.model(References.records(kind: "cam").first { $0.case == "vgg16_small" }!)
    }

    func model(_ name: String) throws -> (ExplainableModel, Tensor) {
        try References.model(References.records(kind: "cam").first { $0.case == name }!)
    }

    @Test func twoClassesShareOneForwardAndOneBackwardPass() throws {
        let (model, input) = try vgg()
        let explainer = Explainer(model: model)
        let both = try explainer.explain(input, method: .gradcam, classes: [762, 282], layers: [model.defaultLayer])
        #expect(explainer.forwardCount == 1)
        #expect(explainer.backwardCount == 1)
        #expect(both.classes.map(\.classIndex) == [762, 282])
        #expect(both.classes[0].heatmap.values != both.classes[1].heatmap.values)
        // Each equals the class explained on its own.
        for item in both.classes {
            let alone = try Explainer(model: model).explain(input, method: .gradcam, classes: [item.classIndex], layers: [model.defaultLayer])
            let difference = zip(alone.classes[0].heatmap.values, item.heatmap.values).map { abs($0 - $1) }.max()!
            #expect(difference < 1e-5)
        }
    }

    /// Methods explained together share the passes their needs have in common: one forward
    /// pass, one backward pass to the layer (Grad-CAM, XGrad-CAM, guided Grad-CAM) and one to
    /// the input through guided ReLUs (guided backprop, guided Grad-CAM); Eigen-CAM needs none.
    /// Each result equals the method run alone.
    @Test func methodsExplainedTogetherShareTheUnionOfTheirPasses() throws {
        let (model, input) = try vgg()
        let methods: [Method] = [.gradcam, .xgradcam, .eigencam, .guidedBackprop, .guidedGradcam]
        let explainer = Explainer(model: model)
        let together = try explainer.explain(input, methods: methods, classes: [762], layers: [model.defaultLayer])
        #expect(explainer.forwardCount == 1)
        #expect(explainer.backwardCount == 2)
        for (method, result) in zip(methods, together) {
            let alone = try Explainer(model: model).explain(input, method: method, classes: [762], layers: [model.defaultLayer])
            #expect(result.classes[0].heatmap == alone.classes[0].heatmap, "\(method)")
            #expect(result.classes[0].attributions.map(\.values) == alone.classes[0].attributions.map(\.values), "\(method)")
        }
        let eigenOnly = Explainer(model: model)
        _ = try eigenOnly.explain(input, methods: [.eigencam], classes: [762], layers: [model.defaultLayer])
        #expect(eigenOnly.backwardCount == 0)
    }

    @Test func theTopClassIsTheDefault() throws {
        let (model, input) = try vgg()
        let result = try Explainer(model: model).explain(input, method: .gradcam, classes: nil, layers: [model.defaultLayer])
        #expect(result.classes.map(\.classIndex) == [762])
    }

    /// `topClasses`: the classes of largest logit, most likely first, from the explanation's
    /// own forward pass (no separate prediction), each map as when that class is asked for.
    @Test func theTopClassesComeFromTheExplanationsOwnForwardPass() throws {
        let (model, input) = try vgg()
        let explainer = Explainer(model: model)
        let top = try explainer.explain(input, method: .gradcam, classes: nil, topClasses: 3, layers: [model.defaultLayer])
        #expect(explainer.forwardCount == 1)
        let logits = top.logits
        let expected = Array(logits.indices.sorted { logits[$0] > logits[$1] }.prefix(3))
        #expect(top.classes.map(\.classIndex) == expected)
        let asked = try Explainer(model: model).explain(input, method: .gradcam, classes: expected, layers: [model.defaultLayer])
        for (a, b) in zip(top.classes, asked.classes) { #expect(a.heatmap == b.heatmap) }
    }

    @Test(arguments: [
        ("vgg16_small", "/features/features.29/Relu_output_0"),
        ("alexnet_small", "/features/features.11/Relu_output_0"),
        ("resnet18_small", "/layer4/layer4.1/relu_1/Relu_output_0"),
    ])
    func defaultLayerIsWhatTheClassifierReads(_ name: String, _ tensor: String) throws {
        #expect(try model(name).0.defaultLayer.name == tensor)
    }

    @Test func layersResolveByTensorNodeOrAlias() throws {
        let (model, _) = try vgg()
        let byTensor = try model.layer(named: "/features/features.22/Relu_output_0")
        #expect(try model.layer(named: "/features/features.22/Relu") == byTensor)
        #expect(try model.layer(named: "relu4_3", aliases: ["relu4_3": "/features/features.22/Relu_output_0"]) == byTensor)
        #expect { try model.layer(named: "conv9_9") } throws: { error in
            guard case ExplainError.unknownLayer(let name, let available) = error else { return false }
            return name == "conv9_9" && available.contains(byTensor.name)
        }
        #expect(throws: ExplainError.layerNotSpatial("/classifier/classifier.0/Gemm_output_0", shape: [1, 32])) {
            try model.layer(named: "/classifier/classifier.0/Gemm_output_0")
        }
    }

    @Test func trailingSoftmaxIsBypassed() throws {
        #expect(try model("alexnet_small").0.strippedOutput == nil)
        let bvlc = try References.model(ReferenceRecord.bvlc).0
        #expect(bvlc.strippedOutput == "Softmax")
        #expect(bvlc.graph.name(of: bvlc.logits) == "fc8_1")
    }

    @Test func fusedLayersTakeTheFinestResolution() throws {
        let (model, input) = try vgg()
        let layers = try ["/features/features.29/Relu_output_0", "/features/features.22/Relu_output_0"].map { try model.layer(named: $0) }
        let result = try Explainer(model: model).explain(input, method: .layercam, classes: [762], layers: layers)
        #expect(result.classes[0].heatmap.width == 28 && result.classes[0].heatmap.height == 28)
    }

    @Test func dilationGivesTheInputsResolutionWithTheSameHeadShape() throws {
        let (model, input) = try vgg()
        let dilated = try model.dilated(at: model.defaultLayer)
        let layer = try dilated.layer(named: model.defaultLayer.name)
        #expect(layer.shape == [1, 32, 224, 224])
        #expect(dilated.classCount == model.classCount)
        let result = try Explainer(model: dilated).explain(input, method: .gradcam, classes: [762], layers: [layer])
        #expect(result.classes[0].heatmap.width == 224)
        // AlexNet's poolings overlap (3x3, stride 2): no dilated equivalent.
        let (alexnet, _) = try self.model("alexnet_small")
        #expect { try alexnet.dilated(at: alexnet.defaultLayer) } throws: { "\($0)".contains("overlaps") }
    }

    @Test func camNeedsAGlobalAveragePoolHead() throws {
        let (model, input) = try vgg()
        #expect { try Explainer(model: model).explain(input, method: .cam, classes: [1], layers: [model.defaultLayer]) } throws: {
            "\($0)".contains("GlobalAveragePool")
        }
        let (resnet, resnetInput) = try self.model("resnet18_small")
        let result = try Explainer(model: resnet).explain(resnetInput, method: .cam, classes: [729], layers: [resnet.defaultLayer])
        #expect(!result.classes[0].heatmap.isZero)
    }

    @Test func classesOutOfRangeAreRefused() throws {
        let (model, input) = try vgg()
        #expect(throws: ExplainError.classOutOfRange(1000, classCount: 1000)) {
            try Explainer(model: model).explain(input, method: .gradcam, classes: [1000], layers: [model.defaultLayer])
        }
    }

    @Test func guidedGradCAMIsGuidedBackpropTimesTheUpsampledMap() throws {
        let (model, input) = try vgg()
        let result = try Explainer(model: model).explain(input, method: .guidedGradcam, classes: [762], layers: [model.defaultLayer])
        let item = result.classes[0]
        #expect(item.attributions.map(\.name) == ["guided_gradcam", "guided_backprop"])
        let product = try #require(item.attributions.first).values, guided = try #require(item.attributions.last).values
        let mask = item.heatmap.upsampled(width: 224, height: 224).values
        for i in stride(from: 0, to: guided.count, by: 997) {
            #expect(abs(product.floats[i] - guided.floats[i] * mask[i % (224 * 224)]) <= 1e-7)
        }
    }

    /// The stages are disjoint parts of one call: Score-CAM's masked forward passes count as
    /// forward time once, not again inside the map stage, so the stages add up to no more
    /// than the call took.
    @Test(arguments: [Method.scorecam, .gradcam])
    func stageTimesAddUpToNoMoreThanTheCall(method: Method) throws {
        let (model, input) = try vgg()
        let explainer = Explainer(model: model)
        let start = ContinuousClock.now
        let result = try explainer.explain(input, method: method, classes: [762], layers: [model.defaultLayer])
        let elapsed = ContinuousClock.now - start
        let t = result.timings
        #expect(t.forward + t.backward + t.map <= elapsed)
        #expect(t.forward > .zero && t.map >= .zero)
    }
}

extension ReferenceRecord {
    /// The Caffe-style AlexNet case (its model ends in a Softmax).
    static let bvlc = ReferenceRecord(
        case: "bvlcalexnet_small", model: "../models/bvlcalexnet_small/model.onnx",
        input: "../models/bvlcalexnet_small/test_data_set_0/input_0.pb", kind: "model", method: nil,
        layer: nil, layerTensor: nil, class: nil, files: [:])
}
