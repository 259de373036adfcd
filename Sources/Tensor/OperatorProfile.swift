/// Where an executor's time goes: the wall time of each node's forward (with the activation
/// fused into it) and of each backward step, summed over the runs made while an `Executor`
/// holds this profile (`gradcam bench --profile`). Timing costs two clock reads per node, and
/// nothing when no profile is set.
public final class OperatorProfile {
    /// One node's totals.
    public struct Entry: Sendable {
        /// What the node computes: its operator type, the path a convolution takes
        /// (`Conv.pathName`) and the activation fused into it, e.g. "Conv depthwise + Relu".
        public var kind: String
        public var node: String
        public var forward: Duration = .zero
        public var backward: Duration = .zero
        public var total: Duration { forward + backward }
    }

    /// One kind's totals over its nodes.
    public struct Row: Sendable {
        public var kind: String
        public var nodes: Int
        public var forward: Duration
        public var backward: Duration
        public var total: Duration { forward + backward }
    }

    /// By node index.
    public private(set) var entries: [Int: Entry] = [:]

    public init() {}

    /// Forgets every time recorded (after warm-up runs, say).
    public func reset() { entries = [:] }

    /// Adds the forward time of node `index`; `kind` is asked for only the first time.
    func addForward(_ duration: Duration, node index: Int, in graph: Graph, kind: () -> String) {
        entries[index, default: Entry(kind: kind(), node: graph.nodes[index].name)].forward += duration
    }

    /// Adds the time of node `index`'s backward step.
    func addBackward(_ duration: Duration, node index: Int, in graph: Graph) {
        let node = graph.nodes[index]
        entries[index, default: Entry(kind: node.op.opType, node: node.name)].backward += duration
    }

    /// The totals by kind, the costliest first.
    public var rows: [Row] {
        var byKind: [String: Row] = [:]
        for entry in entries.values {
            var row = byKind[entry.kind] ?? Row(kind: entry.kind, nodes: 0, forward: .zero, backward: .zero)
            row.nodes += 1
            row.forward += entry.forward
            row.backward += entry.backward
            byKind[entry.kind] = row
        }
        return byKind.values.sorted { ($0.total, $1.kind) > ($1.total, $0.kind) }
    }

    /// The `count` costliest nodes.
    public func costliest(_ count: Int) -> [Entry] {
        Array(entries.values.sorted { ($0.total, $1.node) > ($1.total, $0.node) }.prefix(count))
    }

    /// The kind of a node run with `activation` fused into it, its inputs shaped `shapes`.
    static func kind(of node: Node, activation: FusedActivation?, shapes: [[Int]?]) -> String {
        var kind = node.op.opType
        if let conv = node.op as? Conv, let x = shapes.optional(0), let w = shapes.optional(1) {
            kind += " " + conv.pathName(x: x, w: w)
        }
        if let activation { kind += " + " + activation.name }
        return kind
    }
}
