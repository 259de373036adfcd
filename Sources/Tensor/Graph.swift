/// Names a tensor (a "value") in a graph: an input, a constant or a node's output.
public struct ValueID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (a: ValueID, b: ValueID) -> Bool { a.index < b.index }
    public var description: String { "%\(index)" }
}

/// One operation of a graph.
public struct Node: Sendable {
    /// The node's name in the model (synthesized as "OpType_N" when the model has none).
    public var name: String
    public var op: any Operator
    /// One entry per operator input; nil where an optional input is absent.
    public var inputs: [ValueID?]
    public var outputs: [ValueID]

    public init(name: String, op: any Operator, inputs: [ValueID?], outputs: [ValueID]) {
        self.name = name
        self.op = op
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// A dataflow graph: nodes in topological order over named values.
///
/// Immutable once built and shared by all executors; weights live in `constants`.
public struct Graph: Sendable {
    /// The name of each value, indexed by `ValueID.index`.
    public private(set) var valueNames: [String]
    /// Nodes in an order where every input is produced before it is read.
    public private(set) var nodes: [Node]
    /// Values the caller feeds on each run.
    public var inputs: [ValueID]
    /// Values the graph produces.
    public var outputs: [ValueID]
    /// Values fixed at load time: initializers and `Constant` nodes.
    public private(set) var constants: [ValueID: Tensor]

    public init() {
        valueNames = []
        nodes = []
        inputs = []
        outputs = []
        constants = [:]
    }

    /// Adds a value and returns its ID.
    public mutating func addValue(named name: String) -> ValueID {
        valueNames.append(name)
        return ValueID(valueNames.count - 1)
    }

    /// Adds a constant value.
    @discardableResult
    public mutating func addConstant(named name: String, _ tensor: Tensor) -> ValueID {
        let id = addValue(named: name)
        constants[id] = tensor
        return id
    }

    /// Appends a node; its inputs must already be defined (nodes stay in topological order).
    public mutating func append(_ node: Node) {
        nodes.append(node)
    }

    /// Replaces the node at `index`.
    public mutating func replaceNode(at index: Int, with node: Node) {
        nodes[index] = node
    }

    /// Removes the nodes at `indices`.
    public mutating func removeNodes(at indices: Set<Int>) {
        nodes = nodes.enumerated().filter { !indices.contains($0.offset) }.map(\.element)
    }

    public func name(of value: ValueID) -> String { valueNames[value.index] }

    /// The value with this name, if any.
    public func value(named name: String) -> ValueID? {
        valueNames.firstIndex(of: name).map(ValueID.init)
    }

    /// Index of the node producing `value`, or nil for inputs and constants.
    public func producer(of value: ValueID) -> Int? {
        nodes.firstIndex { $0.outputs.contains(value) }
    }

    /// Indices of the nodes reading `value`.
    public func consumers(of value: ValueID) -> [Int] {
        nodes.indices.filter { nodes[$0].inputs.contains(value) }
    }

    /// Checks that every node input is an input, a constant or an earlier output, and
    /// that every graph output is defined.
    public func validate() throws {
        var defined = Set(inputs).union(constants.keys)
        for node in nodes {
            for case let input? in node.inputs where !defined.contains(input) {
                throw EngineError.graph(
                    "node '\(node.name)' (\(node.op.opType)) reads '\(name(of: input))', which no earlier node produces")
            }
            defined.formUnion(node.outputs)
        }
        for output in outputs where !defined.contains(output) {
            throw EngineError.graph("graph output '\(name(of: output))' is never produced")
        }
    }
}
