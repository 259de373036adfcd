import Foundation
import Tensor

/// `gradcam bench --profile`: an `OperatorProfile` per run, in milliseconds: by operator kind,
/// and the costliest nodes.
struct ProfileSummary: Encodable {
    /// The time of one operator kind (over its `nodes`) or of one `node`, per run.
    struct Timing: Encodable {
        let kind: String
        var node: String?
        var nodes: Int?
        let forwardMilliseconds: Double
        let backwardMilliseconds: Double

        enum CodingKeys: String, CodingKey {
            case kind, node, nodes
            case forwardMilliseconds = "forward_ms"
            case backwardMilliseconds = "backward_ms"
        }
    }

    /// How many nodes `costliest` lists.
    static let listedNodes = 10

    let kinds: [Timing]
    let costliest: [Timing]

    /// The profile of `runs` runs, per run.
    init(_ profile: OperatorProfile, runs: Int) {
        let perRun = { (duration: Duration) in duration.milliseconds / Double(runs) }
        kinds = profile.rows.map {
            Timing(kind: $0.kind, nodes: $0.nodes, forwardMilliseconds: perRun($0.forward), backwardMilliseconds: perRun($0.backward))
        }
        costliest = profile.costliest(Self.listedNodes).map {
            Timing(kind: $0.kind, node: $0.node, forwardMilliseconds: perRun($0.forward), backwardMilliseconds: perRun($0.backward))
        }
    }

    func print() {
        let total = kinds.reduce(0) { $0 + $1.forwardMilliseconds + $1.backwardMilliseconds }
        Swift.print("  " + Self.padded("operator", 40) + "nodes  forward ms  backward ms  share")
        for row in kinds {
            let sum = row.forwardMilliseconds + row.backwardMilliseconds
            Swift.print("  " + Self.padded(row.kind, 40) + String(format: "%5d %11.2f %12.2f %5.1f%%", row.nodes ?? 0,
                        row.forwardMilliseconds, row.backwardMilliseconds, total > 0 ? 100 * sum / total : 0))
        }
        Swift.print("  costliest nodes:")
        for node in costliest {
            Swift.print("  " + Self.padded(node.node ?? "", 40) + Self.padded(node.kind, 28)
                        + String(format: "%8.2f %8.2f", node.forwardMilliseconds, node.backwardMilliseconds))
        }
    }

    /// `text` and spaces up to `width` characters (at least one space).
    private static func padded(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(1, width - text.count))
    }
}
