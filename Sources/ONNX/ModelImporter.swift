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
        for input in model.graph.input where values[input.name] == nil {
            let id = graph.addValue(named: input.name)
            values[input.name] = id
            graph.inputs.append(id)
            let dims = input.type.tensorType.shape.dim.map { dim -> Int? in
                if case .dimValue(let v)? = dim.value, v > 0 { return Int(v) }
                return nil
            }
            inputs.append(.init(name: input.name, value: id, shape: dims))
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
            // Trailing unused optional outputs are omitted; inner ones get a private name.
            let outputs = node.output.reversed().drop(while: \.isEmpty).reversed()
            let context = NodeContext(
                name: name, op: node.opType, opset: opset, attributes: attributes,
                constants: inputIDs.map { $0.flatMap { graph.constants[$0] } }, outputCount: outputs.count)
            let op = try OperatorFactory.make(context)
            var outputIDs: [ValueID] = []
            for (position, output) in outputs.enumerated() {
                let valueName = output.isEmpty ? "\(name):\(position)" : output
                guard values[valueName] == nil else {
                    throw ONNXError.invalidGraph("'\(valueName)' is defined twice (second time by node '\(name)')")
                }
                let id = graph.addValue(named: valueName)
                values[valueName] = id
                outputIDs.append(id)
            }
            graph.append(Node(name: name, op: op, inputs: inputIDs, outputs: outputIDs))
        }
        for output in model.graph.output {
            guard let id = values[output.name] else {
                throw ONNXError.invalidGraph("graph output '\(output.name)' is never produced")
            }
            graph.outputs.append(id)
        }
        do {
            try graph.validate()
        } catch let error as EngineError {
            throw ONNXError.invalidGraph("\(error)")
        }
        let producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        return ImportedModel(path: path, graph: graph, inputs: inputs, opset: opset, producer: producer)
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
