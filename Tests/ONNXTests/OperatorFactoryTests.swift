import Foundation
import Testing
import Tensor
@testable import ONNX

/// Attribute mapping of the operator builders, where it depends on the opset or rejects
/// a feature (the conformance cases cover the rest).
@Suite struct OperatorFactoryTests {
    enum Value {
        case int(Int), float(Float), ints([Int]), string(String)
    }

    func make(_ op: String, opset: Int, _ attributes: [String: Value] = [:], constants: [Tensor?] = []) throws -> any Operator {
        var node = Onnx_NodeProto()
        node.opType = op
        node.attribute = attributes.sorted { $0.key < $1.key }.map { name, value in
            var attribute = Onnx_AttributeProto()
            attribute.name = name
            switch value {
            case .int(let v): attribute.type = .int; attribute.i = Int64(v)
            case .float(let v): attribute.type = .float; attribute.f = v
            case .ints(let v): attribute.type = .ints; attribute.ints = v.map(Int64.init)
            case .string(let v): attribute.type = .string; attribute.s = Data(v.utf8)
            }
            return attribute
        }
        return try OperatorFactory.make(NodeContext(
            name: "node", op: op, opset: opset, attributes: NodeAttributes(node, name: "node"), constants: constants,
            outputCount: 1))
    }

    /// Expects an import error whose description contains `fragment`.
    func expectRejected(_ fragment: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected an error mentioning '\(fragment)'", sourceLocation: sourceLocation)
        } catch let error as ONNXError {
            #expect("\(error)".contains(fragment), "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected an ONNXError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func softmaxAxisSemanticsFollowTheOpset() throws {
        let old = try #require(try make("Softmax", opset: 11) as? Softmax)
        #expect(old.coerced && old.axis == 1)
        let new = try #require(try make("Softmax", opset: 13) as? Softmax)
        #expect(!new.coerced && new.axis == -1)
        #expect((try make("Softmax", opset: 13, ["axis": .int(1)]) as? Softmax)?.axis == 1)
    }

    @Test func clipBoundsAreAttributesBeforeOpset11() throws {
        let old = try #require(try make("Clip", opset: 6, ["min": .float(-1), "max": .float(6)]) as? Clip)
        #expect(old.minimum == -1 && old.maximum == 6)
        let defaults = try #require(try make("Clip", opset: 6) as? Clip)
        #expect(defaults.minimum == -.greatestFiniteMagnitude && defaults.maximum == .greatestFiniteMagnitude)
        let new = try #require(try make("Clip", opset: 11) as? Clip)
        #expect(new.minimum == nil && new.maximum == nil)
        expectRejected("attribute 'min'") { _ = try make("Clip", opset: 11, ["min": .float(0)]) }
    }

    @Test func batchNormalizationRejectsTrainingAndFoldsConstants() throws {
        let p = [Tensor.filled([3], with: 1), .zeros([3]), .zeros([3]), .filled([3], with: 1)]
        let folded = try make("BatchNormalization", opset: 15, ["epsilon": .float(1e-3), "momentum": .float(0.9)], constants: [nil] + p)
        #expect(folded.backwardUses == .nothing)
        #expect(try make("BatchNormalization", opset: 15, constants: [nil, p[0], nil, p[2], p[3]]).backwardUses == .inputs(1, 2, 3, 4))
        expectRejected("training_mode = 1 is not supported") { _ = try make("BatchNormalization", opset: 15, ["training_mode": .int(1)]) }
        expectRejected("spatial = 0") { _ = try make("BatchNormalization", opset: 7, ["spatial": .int(0)]) }
        _ = try make("BatchNormalization", opset: 7, ["spatial": .int(1)])
        expectRejected("attribute 'spatial'") { _ = try make("BatchNormalization", opset: 9, ["spatial": .int(1)]) }
    }

    @Test func dropoutAttributesAndTrainingMode() throws {
        #expect((try make("Dropout", opset: 7, ["ratio": .float(0.5)]) as? Dropout)?.booleanMask == false)
        #expect((try make("Dropout", opset: 10, ["ratio": .float(0.5)]) as? Dropout)?.booleanMask == true)
        _ = try make("Dropout", opset: 13, ["seed": .int(0)])
        let yes = Tensor(shape: [], integers: [1], elementType: .bool)
        expectRejected("training_mode is true") {
            _ = try make("Dropout", opset: 13, constants: [nil, Tensor(shape: [], floats: [0.5]), yes])
        }
        expectRejected("training_mode is true") { _ = try make("Dropout", opset: 13, constants: [nil, nil, yes]) }
        _ = try make("Dropout", opset: 13, constants: [nil, Tensor(shape: [], floats: [0]), yes])
    }

    @Test func poolingAttributes() throws {
        let max = try #require(try make("MaxPool", opset: 12, [
            "kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "pads": .ints([0, 0, 1, 1]),
            "dilations": .ints([1, 1]), "ceil_mode": .int(1), "storage_order": .int(0), "auto_pad": .string("NOTSET"),
        ]) as? MaxPool)
        #expect(max.window == (try Window(kernel: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1], ceilMode: true, op: "")))
        expectRejected("storage_order must be 0 or 1") { _ = try make("MaxPool", opset: 12, ["kernel_shape": .ints([2, 2]), "storage_order": .int(2)]) }
        expectRejected("kernel_shape is required") { _ = try make("AveragePool", opset: 11) }
        expectRejected("only 1-D and 2-D windows") { _ = try make("MaxPool", opset: 12, ["kernel_shape": .ints([2, 2, 2])]) }
        let average = try #require(try make("AveragePool", opset: 19, [
            "kernel_shape": .ints([2]), "count_include_pad": .int(1), "dilations": .ints([2]),
        ]) as? AveragePool)
        #expect(average.countIncludePad && average.window.dilations.width == 2)
    }

    @Test func shapeOperatorAxes() throws {
        #expect((try make("Squeeze", opset: 11, ["axes": .ints([0])]) as? Squeeze)?.axes == [0])
        #expect((try make("Squeeze", opset: 13, constants: [nil, Tensor(shape: [1], integers: [-1])]) as? Squeeze)?.axes == [-1])
        #expect((try make("Squeeze", opset: 13) as? Squeeze)?.axes == nil)
        expectRejected("attribute 'axes'") { _ = try make("Unsqueeze", opset: 13, ["axes": .ints([0])]) }
        #expect((try make("Unsqueeze", opset: 11, ["axes": .ints([1, 2])]) as? Unsqueeze)?.axes == [1, 2])
        expectRejected("axis is required") { _ = try make("Concat", opset: 13) }
        #expect((try make("Concat", opset: 13, ["axis": .int(1)], constants: [nil, nil, nil]) as? Concat)?.differentiableInputs == [0, 1, 2])
        #expect((try make("Flatten", opset: 13) as? Flatten)?.axis == 1)
        #expect((try make("Reshape", opset: 14, ["allowzero": .int(1)]) as? Reshape)?.allowZero == true)
        let shape = try #require(try make("Shape", opset: 15, ["start": .int(1), "end": .int(-1)]) as? Shape)
        #expect(shape.start == 1 && shape.end == -1)
    }

    @Test func resizeAndUpsampleByOpset() throws {
        // Upsample (opset 9) and Resize at 10 take X and scales, with Upsample's coordinates.
        for (op, opset) in [("Upsample", 9), ("Resize", 10)] {
            let resize = try #require(try make(op, opset: opset, ["mode": .string("linear")]) as? Resize)
            #expect(resize.mode == .linear && resize.coordinates == .asymmetric && resize.scalesInput == 1 && resize.sizesInput == nil)
        }
        expectRejected("opset < 9") { _ = try make("Upsample", opset: 7, ["mode": .string("nearest")]) }
        expectRejected("mode 'cubic' is not supported") { _ = try make("Resize", opset: 13, ["mode": .string("cubic")]) }
        expectRejected("coordinate_transformation_mode 'tf_crop_and_resize'") {
            _ = try make("Resize", opset: 13, ["coordinate_transformation_mode": .string("tf_crop_and_resize")])
        }
        expectRejected("antialias = 1") { _ = try make("Resize", opset: 18, ["antialias": .int(1)]) }
        let resize = try #require(try make("Resize", opset: 13, ["nearest_mode": .string("floor")]) as? Resize)
        #expect(resize.coordinates == .halfPixel && resize.nearest == .floor && resize.scalesInput == 2 && resize.sizesInput == 3)
    }

    @Test func linearAndNormalizationAttributes() throws {
        let gemm = try #require(try make("Gemm", opset: 13, ["alpha": .float(0.5), "beta": .float(2), "transA": .int(1), "transB": .int(1)]) as? Gemm)
        #expect(gemm.alpha == 0.5 && gemm.beta == 2 && gemm.transA && gemm.transB)
        let lrn = try #require(try make("LRN", opset: 13, ["size": .int(5), "alpha": .float(2e-4)]) as? LRN)
        #expect(lrn.size == 5 && lrn.alpha == 2e-4 && lrn.beta == 0.75 && lrn.bias == 1)
        expectRejected("size is required") { _ = try make("LRN", opset: 13) }
        expectRejected("size must be >= 1") { _ = try make("LRN", opset: 13, ["size": .int(0)]) }
        #expect((try make("LeakyRelu", opset: 16) as? LeakyRelu)?.alpha == 0.01)
        for op in ["Add", "Sub", "Mul", "Div"] {
            #expect((try make(op, opset: 14) as? Arithmetic)?.kind.rawValue == op)
        }
    }

    @Test func activationAttributesAndDefaults() throws {
        func function(_ op: String, _ attributes: [String: Value] = [:]) throws -> UnaryFunction.Function? {
            (try make(op, opset: 20, attributes) as? UnaryFunction)?.function
        }
        #expect(try function("Gelu") == .gelu(approximate: false))
        #expect(try function("Gelu", ["approximate": .string("tanh")]) == .gelu(approximate: true))
        expectRejected("approximate 'erf' is not one of none, tanh") { _ = try make("Gelu", opset: 20, ["approximate": .string("erf")]) }
        #expect(try function("HardSigmoid") == .hardSigmoid(alpha: 0.2, beta: 0.5))
        #expect(try function("HardSigmoid", ["alpha": .float(0.25), "beta": .float(0.4)]) == .hardSigmoid(alpha: 0.25, beta: 0.4))
        #expect(try function("Elu") == .elu(alpha: 1))
        #expect(try function("Selu") == .selu(alpha: 1.673_263_192_176_818_847_656_25, gamma: 1.050_701_022_148_132_324_218_75))
        #expect((try make("Max", opset: 13, constants: [nil, nil, nil]) as? Variadic)?.differentiableInputs == [0, 1, 2])
        #expect((try make("GreaterOrEqual", opset: 16) as? Comparison)?.kind == .greaterOrEqual)
        expectRejected("attribute 'alpha'") { _ = try make("HardSwish", opset: 14, ["alpha": .float(1)]) }
    }

    @Test func normalizationFormsFollowTheOpset() throws {
        let layer = try #require(try make("LayerNormalization", opset: 17, ["axis": .int(1), "epsilon": .float(1e-6)]) as? LayerNormalization)
        #expect(layer.axis == 1 && layer.epsilon == 1e-6)
        expectRejected("stash_type 11 is not supported") { _ = try make("LayerNormalization", opset: 17, ["stash_type": .int(11)]) }
        let old = try #require(try make("GroupNormalization", opset: 18, ["num_groups": .int(4)]) as? GroupNormalization)
        #expect(old.groups == 4 && old.perGroupParameters)
        let new = try #require(try make("GroupNormalization", opset: 21, ["num_groups": .int(4)]) as? GroupNormalization)
        #expect(!new.perGroupParameters)
        expectRejected("num_groups is required") { _ = try make("GroupNormalization", opset: 21) }
        let instance = try #require(try make("InstanceNormalization", opset: 6, ["epsilon": .float(1e-3)]) as? GroupNormalization)
        #expect(instance.groups == nil && instance.epsilon == 1e-3 && instance.opType == "InstanceNormalization")
    }
}
