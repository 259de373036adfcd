import Foundation
import Tensor

/// A model imported from an ONNX file: the engine graph and what the file says about it.
public struct ImportedModel: Sendable {
    /// A runtime input with its declared shape (nil where the dimension is symbolic).
    public struct Input: Sendable, Equatable {
        public let name: String
        public let value: ValueID
        public let shape: [Int?]
    }

    public let path: String
    public let graph: Graph
    public let inputs: [Input]
    /// Opset version of the default (`ai.onnx`) domain.
    public let opset: Int
    /// Exporter name and version, e.g. "pytorch 2.15.0".
    public let producer: String
    /// The input shapes that constants folded at load time were computed from (see
    /// `LoadTimeFolding`): the graph computes correctly for these shapes only. Empty when
    /// no folded constant depends on an input's shape.
    public let foldedInputShapes: [ValueID: [Int]]
}

/// Imports ONNX models into engine graphs.
public enum ModelImporter {
    /// Opset versions of the default domain the importer reads. Where an operator's
    /// semantics changed across versions, its builder follows the model's opset; old
    /// forms we do not implement carry attributes (`broadcast`, `consumed_inputs`, ...)
    /// that the importer refuses by name.
    public static let supportedOpsets = 1...22

    /// Every ONNX operator type the engine runs.
    public static var supportedOperators: [String] { OperatorFactory.supported }

    /// Loads and converts the model at `path`.
    public static func load(path: String) throws -> ImportedModel {
        let reader = try ModelReader(path: path)
        return try convert(reader.model, initializers: reader.initializers, path: path)
    }

    /// Converts a decoded model whose initializers are given separately (see `ModelReader`).
    static func convert(
        _ model: Onnx_ModelProto, initializers: [(name: String, tensor: Tensor)], path: String
    ) throws -> ImportedModel {
        let opset = try defaultOpset(model)
        var graph = Graph()
        var values: [String: ValueID] = [:]
        for (name, tensor) in initializers {
            values[name] = graph.addConstant(named: name, tensor)
        }
        var inputs: [ImportedModel.Input] = []
        var folding = LoadTimeFolding()
        for input in model.graph.input where values[input.name] == nil {
            // The engine computes float32: integer inputs could only feed integer parameters, which must be constants.
            let type = input.type.tensorType.elemType
            guard [0, 1, 10, 11].contains(type) else {
                throw ONNXError.invalidGraph(
                    "input '\(input.name)' has element type \(Onnx_TensorProto.DataType(rawValue: Int(type)) ?? .undefined); the engine takes float inputs (float, float16, double), and integer tensors must be constants")
            }
            let id = graph.addValue(named: input.name)
            values[input.name] = id
            graph.inputs.append(id)
            let dims = input.type.tensorType.shape.dim.map { dim -> Int? in
                if case .dimValue(let v)? = dim.value, v > 0 { return Int(v) }
                return nil
            }
            inputs.append(.init(name: input.name, value: id, shape: dims))
            folding.addInput(id, name: input.name, dimensions: dims)
        }
        for (index, node) in model.graph.node.enumerated() {
            let name = node.name.isEmpty ? "\(node.opType)_\(index)" : node.name
            guard node.domain.isEmpty || node.domain == "ai.onnx" else {
                throw ONNXError.unsupportedOperator(op: "\(node.domain).\(node.opType)", node: name, supported: OperatorFactory.supported)
            }
            let attributes = NodeAttributes(node, name: name)
            if node.opType == "Constant" {
                guard node.output.count == 1 else { throw ONNXError.invalidNode(op: "Constant", node: name, reason: "expected one output") }
                values[node.output[0]] = graph.addConstant(named: node.output[0], try constantValue(attributes))
                continue
            }
            let inputIDs = try node.input.map { input -> ValueID? in
                if input.isEmpty { return nil }
                guard let id = values[input] else {
                    throw ONNXError.invalidGraph("node '\(name)' reads '\(input)', which no earlier node, input or initializer defines")
                }
                return id
            }
            // Trailing unused optional outputs are omitted; inner ones get a private name. A Split's
            // pieces are counted to the last, used or not.
            let outputs = node.opType == "Split" ? node.output : Array(node.output.reversed().drop(while: \.isEmpty).reversed())
            var context = NodeContext(
                name: name, op: node.opType, opset: opset, attributes: attributes,
                constants: inputIDs.map { $0.flatMap { graph.constants[$0] } }, outputCount: outputs.count)
            context.runtimeInputs = Set(inputIDs.indices.filter { inputIDs[$0].map { graph.constants[$0] == nil } ?? false })
            let op = try OperatorFactory.make(context)
            // Each piece of a Split is a node of its own, so that every piece's gradient flows back.
            let pieces: [(name: String, op: any Operator, outputs: [(position: Int, name: String)])]
            if let split = op as? Split {
                pieces = outputs.enumerated().filter { !$0.element.isEmpty }.map { position, output in
                    var piece = split
                    piece.output = position
                    return (position == 0 ? name : "\(name):\(position)", piece, [(position, output)])
                }
            } else {
                pieces = [(name, op, outputs.enumerated().map { ($0.offset, $0.element) })]
            }
            for piece in pieces {
                let folded = try folding.fold(piece.op, inputs: inputIDs, node: piece.name, outputCount: piece.outputs.count, in: graph)
                var outputIDs: [ValueID] = []
                for (k, (position, output)) in piece.outputs.enumerated() {
                    let valueName = output.isEmpty ? "\(name):\(position)" : output
                    guard values[valueName] == nil else {
                        throw ONNXError.invalidGraph("'\(valueName)' is defined twice (second time by node '\(name)')")
                    }
                    let id = folded.map { graph.addConstant(named: valueName, $0[k]) } ?? graph.addValue(named: valueName)
                    values[valueName] = id
                    outputIDs.append(id)
                }
                if folded == nil {
                    graph.append(Node(name: piece.name, op: piece.op, inputs: inputIDs, outputs: outputIDs))
                }
            }
        }
        for output in model.graph.output {
            guard let id = values[output.name] else {
                throw ONNXError.invalidGraph("graph output '\(output.name)' is never produced")
            }
            graph.outputs.append(id)
        }
        graph.foldZeroPadsIntoConvolutions()
        do {
            try graph.validate()
        } catch let error as EngineError {
            throw ONNXError.invalidGraph("\(error)")
        }
        let producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        return ImportedModel(path: path, graph: graph, inputs: inputs, opset: opset, producer: producer,
                             foldedInputShapes: folding.usedInputShapes)
    }

    private static func defaultOpset(_ model: Onnx_ModelProto) throws -> Int {
        // IR version 1 models carry no opset_import; they mean opset 1, which we do not support.
        let entry = model.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }
        let version = Int(entry?.version ?? 1)
        guard supportedOpsets.contains(version) else {
            throw ONNXError.unsupportedOpset(domain: "", version: version, supported: supportedOpsets)
        }
        return version
    }

    /// The tensor of a `Constant` node, from whichever `value*` attribute it carries.
    private static func constantValue(_ a: NodeAttributes) throws -> Tensor {
        let value: Tensor?
        if let tensor = try a.tensor("value") {
            value = tensor
        } else if let float = try a.float("value_float") {
            value = Tensor(shape: [], floats: [float])
        } else if let floats = try a.floats("value_floats") {
            value = Tensor(shape: [floats.count], floats: floats)
        } else if let int = try a.int("value_int") {
            value = Tensor(shape: [], integers: [Int64(int)])
        } else if let ints = try a.ints("value_ints") {
            value = Tensor(shape: [ints.count], integers: ints.map(Int64.init))
        } else {
            value = nil
        }
        guard let value else {
            throw ONNXError.invalidNode(op: "Constant", node: a.node,
                                        reason: "needs one of value, value_float, value_floats, value_int, value_ints (string and sparse values are not supported)")
        }
        try a.requireAllConsumed()
        return value
    }
}
