import Foundation
import SwiftProtobuf
import Testing
import Tensor
@testable import ONNX

/// Load-time folding: shape subgraphs become constants when the model loads, integer
/// tensors computed at run time are refused by node, and a Split's pieces each get a node.
@Suite struct FoldingTests {
    func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String = "", ints: [String: [Int64]] = [:]) -> Onnx_NodeProto {
        var node = Onnx_NodeProto()
        node.opType = op
        node.name = name
        node.input = inputs
        node.output = outputs
        node.attribute = ints.sorted { $0.key < $1.key }.map { key, values in
            var attribute = Onnx_AttributeProto()
            attribute.name = key
            if values.count == 1, key != "axes" {
                attribute.type = .int
                attribute.i = values[0]
            } else {
                attribute.type = .ints
                attribute.ints = values
            }
            return attribute
        }
        return node
    }

    func int64(_ name: String, _ values: [Int64], scalar: Bool = false) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = scalar ? [] : [Int64(values.count)]
        t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        t.int64Data = values
        return t
    }

    func value(_ name: String, _ type: Onnx_TensorProto.DataType = .float, _ dims: [Int64?]) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type.tensorType.elemType = Int32(type.rawValue)
        info.type.tensorType.shape.dim = dims.map { extent in
            var dim = Onnx_TensorShapeProto.Dimension()
            if let extent { dim.dimValue = extent } else { dim.dimParam = "batch" }
            return dim
        }
        return info
    }

    /// Imports a graph of `nodes` over `input` at `opset`.
    func load(
        _ nodes: [Onnx_NodeProto], input: Onnx_ValueInfoProto, initializers: [Onnx_TensorProto] = [], outputs: [String] = ["y"],
        opset: Int64 = 17
    ) throws -> ImportedModel {
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var set = Onnx_OperatorSetIdProto()
        set.version = opset
        model.opsetImport = [set]
        model.graph.node = nodes
        model.graph.input = [input]
        model.graph.output = outputs.map { value($0, .float, []) }
        let tensors = try initializers.map { ($0.name, try Tensor(proto: $0)) }
        return try ModelImporter.convert(model, initializers: tensors, path: "test.onnx")
    }

    /// `x.view(x.size(0), -1)` as TorchScript exports it.
    var flattenChain: [Onnx_NodeProto] {
        [node("Shape", ["x"], ["s"]), node("Gather", ["s", "zero"], ["n"], ints: ["axis": [0]]),
         node("Unsqueeze", ["n", "axis0"], ["n1"]), node("Concat", ["n1", "minusOne"], ["target"], ints: ["axis": [0]]),
         node("Reshape", ["x", "target"], ["y"], name: "flatten")]
    }
    var flattenConstants: [Onnx_TensorProto] {
        [int64("zero", [0], scalar: true), int64("axis0", [0]), int64("minusOne", [-1])]
    }

    @Test func shapeChainsBecomeConstants() throws {
        let model = try load(flattenChain, input: value("x", .float, [nil, 2, 3, 3]), initializers: flattenConstants)
        #expect(model.graph.nodes.map(\.op.opType) == ["Reshape"])
        let target = try #require(model.graph.nodes[0].inputs[1])
        #expect(model.graph.constants[target] == Tensor(shape: [2], integers: [1, -1]))
        #expect(model.foldedInputShapes[model.graph.inputs[0]] == [1, 2, 3, 3])
        let y = try runModel(model, inputs: [Tensor.zeros([1, 2, 3, 3])])[0]
        #expect(y.shape == [1, 18])
    }

    @Test func shapesOfIntermediateValuesAreMeasured() throws {
        // TF-style SAME padding: the pads come from the shape of a value inside the graph.
        let nodes = [
            node("Relu", ["x"], ["r"]), node("Shape", ["r"], ["s"]),
            node("Slice", ["s", "two", "four"], ["hw"]), node("Sub", ["hw", "one"], ["extra"]),
            node("Concat", ["zeros", "extra"], ["pads"], ints: ["axis": [0]]),
            node("Concat", ["pads", "zeros4"], ["pads8"], ints: ["axis": [0]]),
            node("Pad", ["r", "pads8"], ["y"], name: "same"),
        ]
        let constants = [int64("two", [2]), int64("four", [4]), int64("one", [1]), int64("zeros", [0, 0]), int64("zeros4", [0, 0, 0, 0])]
        let model = try load(nodes, input: value("x", .float, [1, 1, 2, 3]), initializers: constants)
        #expect(model.graph.nodes.map(\.op.opType) == ["Relu", "Pad"])
        #expect(try runModel(model, inputs: [Tensor.zeros([1, 1, 2, 3])])[0].shape == [1, 1, 3, 5])
    }

    @Test func integerTensorsAtRunTimeAreRefusedByNode() throws {
        #expect { try load([node("Relu", ["x"], ["y"])], input: value("x", .int64, [2])) } throws: {
            "\($0)".contains("input 'x' has element type int64")
        }
        let cast = [node("Cast", ["x"], ["i"], name: "to_int", ints: ["to": [7]]), node("Reshape", ["x", "i"], ["y"])]
        #expect { try load(cast, input: value("x", .float, [2])) } throws: {
            "\($0)".contains("node 'to_int' (Cast): the input of a cast to int64 must be constant")
        }
        // A Shape whose input has symbolic spatial dimensions cannot be folded.
        #expect { try load(flattenChain, input: value("x", .float, [1, 2, nil, 3]), initializers: flattenConstants) } throws: {
            "\($0)".contains("input 'x' has symbolic dimensions at axes [2]")
        }
    }

    @Test func splitSizesByOpset() throws {
        let x = Tensor(shape: [7], floats: (0..<7).map(Float.init))
        // Opset 18: num_outputs pieces of ceil(7 / 3), the last one smaller.
        let uneven = try load([node("Split", ["x"], ["y", "b", "c"], ints: ["axis": [0], "num_outputs": [3]])],
                              input: value("x", .float, [7]), outputs: ["y", "b", "c"], opset: 18)
        #expect(try runModel(uneven, inputs: [x]).map(\.floats) == [[0, 1, 2], [3, 4, 5], [6]])
        // Opset 11: sizes as an attribute; opset 13: as a constant input.
        let attribute = try load([node("Split", ["x"], ["y", "b"], ints: ["axis": [0], "split": [2, 5]])],
                                 input: value("x", .float, [7]), outputs: ["y", "b"], opset: 11)
        #expect(try runModel(attribute, inputs: [x]).map(\.shape) == [[2], [5]])
        let input = try load([node("Split", ["x", "sizes"], ["y", "b"])], input: value("x", .float, [7]),
                             initializers: [int64("sizes", [6, 1])], outputs: ["y", "b"], opset: 13)
        #expect(try runModel(input, inputs: [x]).map(\.shape) == [[6], [1]])
        #expect { try load([node("Split", ["x"], ["y", "b"], ints: ["num_outputs": [3]])], input: value("x", .float, [7]),
                           outputs: ["y", "b"], opset: 18) } throws: { "\($0)".contains("num_outputs is 3 but the node has 2 outputs") }
    }

    @Test func reduceAxesByOpset() throws {
        let x = Tensor(shape: [1, 2, 2, 2], floats: [1, 2, 3, 4, 5, 6, 7, 8])
        // Before opset 18 the axes are an attribute; from 18 a (constant) input.
        let attribute = try load([node("ReduceMean", ["x"], ["y"], ints: ["axes": [2, 3], "keepdims": [0]])],
                                 input: value("x", .float, [1, 2, 2, 2]), opset: 17)
        let input = try load([node("ReduceMean", ["x", "axes"], ["y"], ints: ["keepdims": [0]])],
                             input: value("x", .float, [1, 2, 2, 2]), initializers: [int64("axes", [2, 3])], opset: 18)
        for model in [attribute, input] {
            #expect(try runModel(model, inputs: [x])[0] == Tensor(shape: [1, 2], floats: [2.5, 6.5]))
        }
        #expect { try load([node("ReduceMean", ["x"], ["y"], ints: ["axes": [2, 3]])], input: value("x", .float, [1, 2, 2, 2]),
                           opset: 18) } throws: { "\($0)".contains("attribute 'axes'") }
    }

    @Test func everyPieceOfASplitPassesItsGradient() throws {
        let nodes = [node("Split", ["x"], ["a", "b"], name: "halves", ints: ["axis": [1]]),
                     node("Concat", ["b", "a"], ["y"], ints: ["axis": [1]])]
        let model = try load(nodes, input: value("x", .float, [1, 4]))
        #expect(model.graph.nodes.map(\.name) == ["halves", "halves:1", "Concat_1"])
        let x = Tensor(shape: [1, 4], floats: [1, 2, 3, 4])
        #expect(try runModel(model, inputs: [x])[0].floats == [3, 4, 1, 2])
        let executor = Executor(graph: model.graph)
        let input = model.graph.inputs[0], output = model.graph.outputs[0]
        let plan = try BackwardPlan(graph: model.graph, from: output, to: [input])
        try executor.forward([input: x], preparing: [plan])
        let dx = try executor.backward(plan, seed: Tensor(shape: [1, 4], floats: [10, 20, 30, 40])).tensor(input)
        #expect(dx.floats == [30, 40, 10, 20])
    }
}

/// The exporters' own output (`tools/fixtures`, `nets.IdiomNet`): after folding, no node
/// computes integers, and a gradient reaches the input through every new operator.
@Suite struct FoldedExportTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/models").standardizedFileURL

    @Test(arguments: ["idioms_torchscript", "idioms_dynamo"])
    func onlyFloatOperatorsRemain(_ name: String) throws {
        let model = try ModelImporter.load(path: Self.folder.appendingPathComponent("\(name)/model.onnx").path)
        let kinds = Set(model.graph.nodes.map(\.op.opType))
        #expect(kinds.isDisjoint(with: ["Shape", "Gather", "Unsqueeze", "Cast", "ConstantOfShape", "Transpose", "Slice"]), "\(kinds.sorted())")
        // dynamo writes the SAME padding into the convolution's pads; TorchScript computes a Pad,
        // which the importer folds into the convolution's pads too.
        #expect(!kinds.contains("Pad"), "\(kinds.sorted())")
        #expect(kinds.isSuperset(of: ["Split", "Resize", "ReduceMean", "ReduceMax"]), "\(kinds.sorted())")
        let input = model.graph.inputs[0], output = model.graph.outputs[0]
        let executor = Executor(graph: model.graph)
        let plan = try BackwardPlan(graph: model.graph, from: output, to: [input])
        let x = Tensor(shape: [1, 3, 224, 224], floats: (0..<(3 * 224 * 224)).map { Float($0 % 97) / 97 - 0.5 })
        let logits = try executor.forward([input: x], preparing: [plan]).tensor(output)
        #expect(logits.shape == [1, 10])
        let dx = try executor.backward(plan, seed: Tensor.filled([1, 10], with: 1)).tensor(input)
        #expect(dx.shape == x.shape && dx.floats.contains { $0 != 0 } && dx.floats.allSatisfy(\.isFinite))
    }
}
