import Synchronization
import Testing
@testable import Tensor

/// A stopped computation stops at the next node, forward or backward, and the executor
/// stays usable: the guarantee that frees a timed-out request's worker within one node.
@Suite struct CancellationTests {
    /// Identity that counts its forward and backward runs and, on a chosen forward run,
    /// cancels the computation (as a deadline or a departing client would, mid-pass).
    final class Probe: Operator, Sendable {
        let forwards = Atomic<Int>(0)
        let backwards = Atomic<Int>(0)
        let cancelling: Cancellation?
        init(cancelling: Cancellation? = nil) { self.cancelling = cancelling }

        var opType: String { "Probe" }
        var differentiableInputs: [Int] { [0] }
        var backwardUses: BackwardUses { .nothing }
        func forward(_ inputs: [Tensor?], into outputs: inout [Tensor], workspace: Workspace) throws {
            forwards.add(1, ordering: .relaxed)
            cancelling?.cancel(.abandoned)
            outputs[0] = try inputs.required(0, of: opType)
        }
        func backward(_ gradient: Tensor, inputs: [Tensor?], outputs: [Tensor], wrt: [Int], context: BackwardContext) throws -> [Tensor] {
            backwards.add(1, ordering: .relaxed)
            return [gradient]
        }
    }

    /// x -> p0 -> v0 -> p1 -> v1 -> p2 -> y, where `p[cancelAt]` cancels `cancellation`.
    func chain(cancelAt: Int? = nil, _ cancellation: Cancellation) -> (Graph, [Probe], x: ValueID, y: ValueID) {
        var graph = Graph()
        let x = graph.addValue(named: "x")
        graph.inputs = [x]
        var previous = x
        var probes: [Probe] = []
        for index in 0..<3 {
            let probe = Probe(cancelling: index == cancelAt ? cancellation : nil)
            let value = graph.addValue(named: "v\(index)")
            graph.append(Node(name: "p\(index)", op: probe, inputs: [previous], outputs: [value]))
            probes.append(probe)
            previous = value
        }
        graph.outputs = [previous]
        return (graph, probes, x, previous)
    }

    let input = Tensor(shape: [1, 2], floats: [1, 2])

    @Test func aCancelMidForwardStopsBeforeTheNextNode() throws {
        let cancellation = Cancellation()
        let (graph, probes, x, _) = chain(cancelAt: 0, cancellation)
        let executor = Executor(graph: graph)
        executor.cancellation = cancellation
        #expect(throws: Cancellation.Stopped(reason: .abandoned)) { try executor.forward([x: input]) }
        #expect(probes.map { $0.forwards.load(ordering: .relaxed) } == [1, 0, 0])

        // The next request runs in full on the same executor.
        executor.cancellation = nil
        #expect(try executor.forward([x: input]).tensor(graph.outputs[0]).floats == [1, 2])
        #expect(probes.map { $0.forwards.load(ordering: .relaxed) } == [2, 1, 1])
    }

    @Test func aPassedDeadlineStopsBeforeTheFirstNode() throws {
        let (graph, probes, x, _) = chain(Cancellation())
        let executor = Executor(graph: graph)
        executor.cancellation = Cancellation(deadline: .now - .milliseconds(1))
        #expect(throws: Cancellation.Stopped(reason: .deadline)) { try executor.forward([x: input]) }
        #expect(probes.allSatisfy { $0.forwards.load(ordering: .relaxed) == 0 })
    }

    @Test func aCancelBetweenForwardAndBackwardStopsTheBackwardPass() throws {
        let (graph, probes, x, y) = chain(Cancellation())
        let plan = try BackwardPlan(graph: graph, from: y, to: [x])
        let executor = Executor(graph: graph)
        let cancellation = Cancellation()
        executor.cancellation = cancellation
        try executor.forward([x: input], preparing: [plan])
        cancellation.cancel(.abandoned)
        #expect(throws: Cancellation.Stopped(reason: .abandoned)) {
            try executor.backward(plan, seed: Tensor(shape: [1, 2], floats: [1, 1]))
        }
        #expect(probes.allSatisfy { $0.backwards.load(ordering: .relaxed) == 0 })
    }

    @Test func theFirstReasonIsKept() {
        let cancellation = Cancellation(deadline: .now + .seconds(3600))
        #expect(cancellation.reason == nil)
        cancellation.cancel(.abandoned)
        cancellation.cancel(.deadline)
        #expect(cancellation.reason == .abandoned)
    }
}
