/// Runs a shared `Graph` forward and backward with buffers of its own.
///
/// One executor per worker thread: it is not thread-safe, but many executors can run
/// one graph at once. Activation buffers are recycled by size within a run and between
/// runs, so a steady stream of same-sized requests allocates nothing for activations.
public final class Executor {
    public let graph: Graph
    public let workspace: Workspace
    /// Forward passes run so far (tests use it to prove work is shared).
    public private(set) var forwardCount = 0
    /// Backward passes run so far, counting a batch of replicas as one.
    public private(set) var backwardCount = 0
    /// Checked before every node of a forward pass and every step of a backward pass: once
    /// it says stop, the run throws `Cancellation.Stopped` (the executor's buffers stay
    /// consistent, and the next run starts afresh). Set it for each request.
    public var cancellation: Cancellation?
    /// When set, every node's forward and backward time is added to it.
    public var profile: OperatorProfile?

    /// The shape of every value computed by the last forward pass (nil for constants and
    /// values it did not reach), by `ValueID.index`.
    public private(set) var shapes: [[Int]?]

    /// The last forward pass's values that are still alive, by `ValueID.index`.
    private var values: [Tensor?]
    /// Float buffers not in use, by element count: those freed during the current run,
    /// and those left from the previous run, which are dropped if this run does not need them.
    private var pool: [Int: [Tensor]] = [:]
    private var previousPool: [Int: [Tensor]] = [:]
    /// The inner value `forward(from:_:)` is running from: the caller's tensor, never recycled.
    private var fed: ValueID?
    /// Each value's element count in the last run, to pick a recycled buffer of that size.
    private var lastCount: [Int]
    /// For each value, the last node index that reads it (-1: never read).
    private let lastUse: [Int]
    /// For each node that can apply the activation right after it as it writes (an
    /// `ActivatingOperator` whose output only that activation reads: `FusedActivation.following`),
    /// the fusion. The nodes run as one unless a value between them must be kept.
    private let fusions: [Fusion?]

    private struct Fusion {
        let op: any ActivatingOperator
        let activation: FusedActivation
        /// The activation's nodes (one, or SiLU's Sigmoid and Mul); the last one's outputs are written.
        let absorbed: [Node]
        /// The values that the fused run never writes: the operator's output, SiLU's sigmoid.
        let skipped: [ValueID]
    }

    public init(graph: Graph, threads: Int = 1) {
        self.graph = graph
        self.workspace = Workspace(threads: threads)
        values = Array(repeating: nil, count: graph.valueNames.count)
        shapes = Array(repeating: nil, count: graph.valueNames.count)
        lastCount = Array(repeating: -1, count: graph.valueNames.count)
        var lastUse = Array(repeating: -1, count: graph.valueNames.count)
        for (index, node) in graph.nodes.enumerated() {
            for case let input? in node.inputs { lastUse[input.index] = index }
        }
        self.lastUse = lastUse
        let nodes = graph.nodes
        fusions = nodes.indices.map { index in
            guard let op = nodes[index].op as? any ActivatingOperator,
                  let found = FusedActivation.following(index, in: graph, lastUse: lastUse) else { return nil }
            let absorbed = Array(nodes[(index + 1)...(index + found.nodes)])
            return Fusion(op: op, activation: found.activation, absorbed: absorbed,
                          skipped: nodes[index].outputs + absorbed.dropLast().flatMap(\.outputs))
        }
    }

    /// Runs the graph forward.
    ///
    /// - Parameters:
    ///   - feeds: a tensor for every graph input.
    ///   - keep: values to return besides the graph outputs (activations to explain).
    ///   - plans: backward passes to prepare for: the values their VJPs read are kept.
    /// - Returns: the graph outputs and the `keep` values.
    @discardableResult
    public func forward(
        _ feeds: [ValueID: Tensor], keep: Set<ValueID> = [], preparing plans: [BackwardPlan] = []
    ) throws -> PassResult {
        beginPass()
        defer { previousPool = [:] }
        for input in graph.inputs {
            guard let tensor = feeds[input] else {
                throw EngineError.graph("no tensor fed for graph input '\(graph.name(of: input))'")
            }
            values[input.index] = tensor
            shapes[input.index] = tensor.shape
        }
        try run(pinned: pinned(keep, preparing: plans))
        return try result(keep)
    }

    /// What a pass must not release: `keep`, the graph's outputs, and what the backward
    /// passes `plans` will read.
    private func pinned(_ keep: Set<ValueID>, preparing plans: [BackwardPlan]) -> Set<ValueID> {
        plans.reduce(keep.union(graph.outputs)) { $0.union($1.retained) }
    }

    /// Runs the nodes forward in order, skipping those `runs` leaves out (nil: all of them).
    private func run(pinned: Set<ValueID>, runs: [Bool]? = nil) throws {
        var index = 0
        while index < graph.nodes.count {
            if let runs, !runs[index] {
                index += 1
                continue
            }
            try cancellation?.check()
            let node = graph.nodes[index]
            let inputs = try node.inputs.map { id -> Tensor? in
                guard let id else { return nil }
                if let constant = graph.constants[id] { return constant }
                guard let value = values[id.index] else {
                    throw EngineError.graph("'\(graph.name(of: id))' was released before node '\(node.name)' read it")
                }
                return value
            }
            // The activation after this node fused into it, unless a value between them is kept.
            let fusion = fusions[index].flatMap { $0.skipped.contains(where: pinned.contains) ? nil : $0 }
            let written = fusion?.absorbed.last ?? node
            var outputs = written.outputs.map(takeBuffer)
            let start = profile == nil ? nil : ContinuousClock.now
            do {
                if let fusion {
                    try fusion.op.forward(inputs, into: &outputs, workspace: workspace, activation: fusion.activation)
                } else {
                    try node.op.forward(inputs, into: &outputs, workspace: workspace)
                }
            } catch let error as EngineError {
                throw EngineError.graph("node '\(node.name)': \(error)")
            }
            if let start, let profile {
                profile.addForward(.now - start, node: index, in: graph) {
                    OperatorProfile.kind(of: node, activation: fusion?.activation, shapes: inputs.map { $0?.shape })
                }
            }
            if let fusion {
                for id in fusion.skipped { shapes[id.index] = outputs[0].shape }
                release(node.inputs, at: index, pinned: pinned)
                index += fusion.absorbed.count
            }
            record(outputs, of: written, at: index, pinned: pinned)
            index += 1
        }
    }

    /// Throws `EngineError.graph` unless a forward pass can begin at `start`: every graph output
    /// depends on it, and no node after it reads a value computed before it and not from it
    /// (a skip connection around it).
    public func checkStart(_ start: ValueID) throws {
        _ = try nodes(from: start)
    }

    /// Which nodes depend on `start` (by node index), after `checkStart`'s checks.
    private func nodes(from start: ValueID) throws -> [Bool] {
        var runs = [Bool](repeating: false, count: graph.nodes.count)
        var reached: Set<ValueID> = [start]
        for (index, node) in graph.nodes.enumerated() where node.inputs.contains(where: { $0.map(reached.contains) ?? false }) {
            for case let input? in node.inputs where !reached.contains(input) && graph.constants[input] == nil {
                throw EngineError.graph("node '\(node.name)' reads '\(graph.name(of: input))', computed before '\(graph.name(of: start))' and not from it: a pass cannot start at '\(graph.name(of: start))'")
            }
            runs[index] = true
            reached.formUnion(node.outputs)
        }
        for output in graph.outputs where !reached.contains(output) {
            throw EngineError.graph("the output '\(graph.name(of: output))' does not depend on '\(graph.name(of: start))'")
        }
        return runs
    }

    /// The graph outputs and the `keep` values of the pass just run.
    private func result(_ keep: Set<ValueID>) throws -> PassResult {
        var result: [ValueID: Tensor] = [:]
        for id in keep.union(graph.outputs) {
            result[id] = try value(id)
        }
        return PassResult(result, graph: graph, pass: "forward pass")
    }

    /// Runs the graph forward from an inner value: `tensor` is taken as `start`'s value and
    /// only the nodes that depend on it run (AblationCAM feeds a layer's ablated activations).
    /// Its batch may differ from the pass that computed `start` (`[B] + shape.dropFirst()`).
    /// `plans`: backward passes to prepare for, as `forward(_:keep:preparing:)`'s (their
    /// targets must be `start` or values computed from it).
    ///
    /// - Throws: `EngineError.graph` when the pass cannot begin at `start` (`checkStart`).
    @discardableResult
    public func forward(from start: ValueID, _ tensor: Tensor, preparing plans: [BackwardPlan] = []) throws -> PassResult {
        let runs = try nodes(from: start)
        beginPass()
        // Unlike a full pass, keep the buffers this one did not use: the next full pass (the
        // next request's) needs them, and a few passes from a layer must not reallocate it.
        defer {
            pool.merge(previousPool) { $0 + $1 }
            previousPool = [:]
        }
        values[start.index] = tensor
        shapes[start.index] = tensor.shape
        fed = start
        defer { fed = nil }
        try run(pinned: pinned([], preparing: plans), runs: runs)
        return try result([])
    }

    /// Runs a backward pass over the values of the last forward pass, which must have
    /// been run `preparing` this plan.
    ///
    /// - Parameter seed: the gradient at `plan.output`, shaped `[G] + output.shape.dropFirst()`
    ///   where `G` is the forward batch `N`, or any count of replicas when `N == 1`.
    /// - Returns: the gradient at each of `plan.targets`, shaped like the seed's batch.
    public func backward(_ plan: BackwardPlan, seed: Tensor) throws -> PassResult {
        let output = try value(plan.output)
        for id in plan.retained where values[id.index] == nil && graph.constants[id] == nil {
            throw EngineError.graph("the last forward pass did not keep '\(graph.name(of: id))', which this backward pass reads; run forward preparing this plan")
        }
        guard seed.shape.dropFirst() == output.shape.dropFirst(),
              seed.shape.first == output.shape.first || output.shape.first == 1 else {
            throw EngineError.graph("seed gradient of shape \(seed.shape) does not match output \(output.shape)")
        }
        backwardCount += 1
        let replicas = seed.shape[0]
        do {
            return try runBackward(plan, seed: seed)
        } catch EngineError.replicasUnsupported where replicas > 1 && output.shape[0] == 1 {
            // One replica at a time, then stack the results along dimension 0.
            let stride = seed.count / replicas
            let parts = try (0..<replicas).map { r in
                let slice = Array(seed.floats[r * stride ..< (r + 1) * stride])
                return try runBackward(plan, seed: Tensor(shape: [1] + seed.shape.dropFirst(), floats: slice))
            }
            var stacked: [ValueID: Tensor] = [:]
            for id in plan.targets {
                let slices = try parts.map { try $0.tensor(id) }
                stacked[id] = Tensor(shape: [replicas] + slices[0].shape.dropFirst(), floats: slices.flatMap(\.floats))
            }
            return PassResult(stacked, graph: graph, pass: "backward pass")
        }
    }

    private func runBackward(_ plan: BackwardPlan, seed: Tensor) throws -> PassResult {
        var gradients: [ValueID: Tensor] = [plan.output: seed]
        for (index, wrt) in plan.steps {
            try cancellation?.check()
            let node = graph.nodes[index]
            guard let gradient = gradients[node.outputs[0]] else { continue }
            if !plan.targets.contains(node.outputs[0]) { gradients[node.outputs[0]] = nil }
            let inputs = node.inputs.map { id -> Tensor? in
                guard let id else { return nil }
                return graph.constants[id] ?? values[id.index]
            }
            let shapes = node.inputs.map { id -> [Int]? in
                guard let id else { return nil }
                return graph.constants[id]?.shape ?? self.shapes[id.index]
            }
            let context = BackwardContext(rule: plan.rule, workspace: workspace, inputShapes: shapes)
            let outputs = node.outputs.map { values[$0.index] ?? .empty }
            let inputGradients: [Tensor]
            let start = profile == nil ? nil : ContinuousClock.now
            do {
                inputGradients = try node.op.backward(gradient, inputs: inputs, outputs: outputs, wrt: wrt, context: context)
            } catch let error as EngineError {
                if case .replicasUnsupported = error { throw error }
                throw EngineError.graph("backward through node '\(node.name)': \(error)")
            }
            if let start { profile?.addBackward(.now - start, node: index, in: graph) }
            for (position, inputGradient) in zip(wrt, inputGradients) {
                let id = node.inputs[position]!
                if var existing = gradients[id] {
                    existing.add(inputGradient)
                    gradients[id] = existing
                } else {
                    gradients[id] = inputGradient
                }
            }
        }
        var result: [ValueID: Tensor] = [:]
        for target in plan.targets {
            guard let gradient = gradients[target] else {
                throw EngineError.graph("no gradient reached '\(graph.name(of: target))'")
            }
            result[target] = gradient
        }
        return PassResult(result, graph: graph, pass: "backward pass")
    }

    /// Stores a node's outputs and releases what no later node reads and nobody asked to keep.
    private func record(_ outputs: [Tensor], of node: Node, at index: Int, pinned: Set<ValueID>) {
        for (id, tensor) in zip(node.outputs, outputs) {
            values[id.index] = tensor
            shapes[id.index] = tensor.shape
            lastCount[id.index] = tensor.elementType == .float32 ? tensor.count : -1
        }
        release(node.inputs, at: index, pinned: pinned)
        for id in node.outputs where lastUse[id.index] < index && !pinned.contains(id) {
            recycle(id)
        }
    }

    /// Releases the inputs of node `index` that no later node reads.
    private func release(_ inputs: [ValueID?], at index: Int, pinned: Set<ValueID>) {
        for case let id? in inputs where lastUse[id.index] == index && !pinned.contains(id) {
            recycle(id)
        }
    }

    /// A value of the last forward pass that is still alive.
    public func value(_ id: ValueID) throws -> Tensor {
        if let constant = graph.constants[id] { return constant }
        guard let tensor = values[id.index] else {
            throw EngineError.graph("'\(graph.name(of: id))' was not kept by the last forward pass")
        }
        return tensor
    }

    /// The values of the last forward pass that are still alive: the graph outputs, the
    /// values asked to be kept, and those the prepared backward passes read.
    public var keptValues: Set<ValueID> {
        Set(values.indices.filter { values[$0] != nil }.map(ValueID.init))
    }

    /// Floats held by this executor between runs (activations and recycled buffers).
    public var heldFloats: Int {
        values.reduce(0) { $0 + ($1?.floats.count ?? 0) } + pool.values.joined().reduce(0) { $0 + $1.floats.count }
            + workspace.scratchCapacity
    }

    private func takeBuffer(for id: ValueID) -> Tensor {
        let count = lastCount[id.index]
        guard count >= 0 else { return .empty }
        return pool[count]?.popLast() ?? previousPool[count]?.popLast() ?? .empty
    }

    private func recycle(_ id: ValueID) {
        guard let tensor = values[id.index] else { return }
        values[id.index] = nil
        // Feeds (graph inputs, `forward(from:_:)`'s start) belong to the caller; constants to the graph.
        if tensor.elementType == .float32, tensor.count > 0, graph.constants[id] == nil, !graph.inputs.contains(id), id != fed {
            pool[tensor.count, default: []].append(tensor)
        }
    }

    /// Frees the last pass's values into the pool a new forward pass draws from.
    private func beginPass() {
        recycleAll()
        previousPool.merge(pool) { $0 + $1 }
        pool = [:]
        forwardCount += 1
    }

    private func recycleAll() {
        for index in values.indices where values[index] != nil { recycle(ValueID(index)) }
    }
}
