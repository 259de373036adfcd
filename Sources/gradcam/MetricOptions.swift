import ArgumentParser
import Explain
import Pipeline

/// The faithfulness metrics as flags (`--metrics`, `--metrics-seed`, `--box`; the API's
/// `metrics`, `metrics_seed`, `box`), shared by `explain` and `batch`.
struct MetricOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Faithfulness metrics of each map, in the JSON document: \(FaithfulnessMetric.allNames.joined(separator: ", ")); repeat or separate with commas.",
        valueName: "metric"))
    var metrics: [String] = []

    @Option(name: .customLong("metrics-seed"), help: ArgumentHelp(
        "The seed of the metrics' noise (ROAD's imputation), \(SanityOptions.seedRange.lowerBound)...\(SanityOptions.seedRange.upperBound).",
        valueName: "seed"))
    var metricsSeed: UInt64 = 0

    @Option(help: ArgumentHelp("The object's box for pointing-game, in image pixels: x0,y0,x1,y1.", valueName: "x0,y0,x1,y1"))
    var box: String?

    func validate() throws {
        do {
            _ = try ExplainOptions.metrics(named: commaSeparated(metrics))
            _ = try box.map(ObjectBox.init(parsing:))
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// Sets `options`' metrics, their seed and the box.
    func apply(to options: inout ExplainOptions) throws {
        options.metrics = try ExplainOptions.metrics(named: commaSeparated(metrics))
        options.metricsSeed = metricsSeed
        options.box = try box.map(ObjectBox.init(parsing:))
    }
}
