import Tensor

/// A node's attributes, read by name. It remembers which were read so the importer can
/// refuse attributes an operator does not implement instead of silently ignoring them.
final class NodeAttributes {
    let node: String
    let op: String
    private let byName: [String: Onnx_AttributeProto]
    private var consumed: Set<String> = []

    init(_ proto: Onnx_NodeProto, name: String) {
        node = name
        op = proto.opType
        byName = Dictionary(proto.attribute.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    var names: [String] { byName.keys.sorted() }

    func has(_ name: String) -> Bool { byName[name] != nil }

    func int(_ name: String) throws -> Int? {
        try value(name, .int) { Int($0.i) }
    }

    func int(_ name: String, default value: Int) throws -> Int {
        try int(name) ?? value
    }

    func ints(_ name: String) throws -> [Int]? {
        try value(name, .ints) { $0.ints.map(Int.init) }
    }

    func float(_ name: String) throws -> Float? {
        try value(name, .float) { $0.f }
    }

    func float(_ name: String, default value: Float) throws -> Float {
        try float(name) ?? value
    }

    func floats(_ name: String) throws -> [Float]? {
        try value(name, .floats) { $0.floats }
    }

    func string(_ name: String) throws -> String? {
        try value(name, .string) { String(decoding: $0.s, as: UTF8.self) }
    }

    func tensor(_ name: String) throws -> Tensor? {
        guard let proto = try value(name, .tensor, { $0.t }) else { return nil }
        return try Tensor(proto: proto)
    }

    /// Throws if the node carries an attribute no one read.
    func requireAllConsumed() throws {
        if let extra = byName.keys.sorted().first(where: { !consumed.contains($0) }) {
            throw ONNXError.unsupportedAttribute(op: op, node: node, attribute: extra, supported: consumed.sorted())
        }
    }

    /// Marks `name` as understood without reading it (attributes with no effect on inference).
    func ignore(_ names: String...) {
        consumed.formUnion(names)
    }

    private func value<T>(
        _ name: String, _ type: Onnx_AttributeProto.AttributeType, _ read: (Onnx_AttributeProto) -> T
    ) throws -> T? {
        consumed.insert(name)
        guard let attribute = byName[name] else { return nil }
        // Old exporters leave `type` unset; trust the field then.
        guard attribute.type == type || attribute.type == .undefined else {
            throw ONNXError.invalidNode(op: op, node: node, reason: "attribute '\(name)' is \(attribute.type), expected \(type)")
        }
        return read(attribute)
    }
}
