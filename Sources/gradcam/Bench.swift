import ArgumentParser
import Explain
import Foundation
import Imaging
import Models
import Pipeline
import Tensor

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time explanations stage by stage (decode, preprocess, forward, backward, map, encode).",
        discussion: """
            Without --model, times VGG16 and AlexNet as torchvision defines them at 224x224, built in
            code with random weights (no files needed). Medians over --runs after --warmup runs.
            """)

    @Option(name: .long, help: "A model name or .onnx path (repeatable). Default: built-in VGG16 and AlexNet.")
    var model: [String] = []

    @Option(name: .customLong("models-dir"), help: "The models directory.")
    var modelsDirectory = "models"

    @Option(help: ArgumentHelp("Methods to time (repeatable): \(Method.allNames.joined(separator: ", ")).", valueName: "method"))
    var method: [String] = ["gradcam"]

    @OptionGroup(title: "Method parameters") var methodParameters: MethodParameterOptions

    @Option(name: [.customLong("class"), .customLong("label")], help: ArgumentHelp(
        "Classes to explain, as in `gradcam explain` (default: the top-1 class).", valueName: "class"))
    var classes: [String] = []

    @Option(help: ArgumentHelp("The layer, as in `gradcam explain` (a,b,c fuses several).", valueName: "layer"))
    var layer: String?

    @Flag(help: "Time the dilated equivalent of the network, as `gradcam explain --dilate` computes it.")
    var dilate = false

    @Option(help: "An image to explain (default: a synthetic 224x224 PNG).")
    var image: String?

    @Option(help: "Timed runs per model and method.")
    var runs = 10

    @Option(help: "Untimed runs first.")
    var warmup = 2

    @Option(name: .customLong("batch"), help: ArgumentHelp(
        "Also time batched passes of N copies of the image, as dynamic batching runs them (repeatable; 1 is the single pass).",
        valueName: "N"))
    var batchSizes: [Int] = []

    @Option(help: "Compute threads.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Flag(help: "Also time every node of the graph: per operator kind (a convolution's path and fused activation included), forward and backward, and the costliest nodes (with --batch, per image of each batch).")
    var profile = false

    @Option(help: "text or json.")
    var format: Predict.OutputFormat = .text

    func validate() throws {
        for name in method where Method(named: name) == nil {
            throw ValidationError("unknown method '\(name)'; methods: \(Method.allNames.joined(separator: ", "))")
        }
        guard (1...1000).contains(runs), (0...100).contains(warmup) else { throw ValidationError("--runs 1...1000, --warmup 0...100") }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be 1...256") }
        guard batchSizes.allSatisfy((1...64).contains) else { throw ValidationError("--batch must be 1...64") }
    }

    func run() throws {
        let models = model.isEmpty
            ? [try LoadedModel(name: "vgg16", graph: Architectures.vgg16()), try LoadedModel(name: "alexnet", graph: Architectures.alexnet())]
            : try model.map { try loadModel($0, modelsDirectory: modelsDirectory) }
        let bytes = try image.map(readInput) ?? Self.syntheticImage()
        var results: [BenchResult] = []
        var batches: [BatchBenchResult] = []
        for loaded in models {
            let session = ExplainSession(threads: threads)
            // The forward pass alone, as a classifier runs it.
            let forward = try measure { try session.predict(bytes, model: loaded, top: 5).1.forward }
            for name in method {
                var options = ExplainOptions()
                options.method = Method(named: name)!
                options.parameters = try methodParameters.parameters()
                options.classes = commaSeparated(classes)
                options.layers = commaSeparated(layer.map { [$0] } ?? [])
                options.dilate = dilate
                var stages: [PipelineTimings] = []
                let operators = profile ? OperatorProfile() : nil
                for index in 0..<(warmup + runs) {
                    session.profile = index >= warmup ? operators : nil
                    let output = try session.explain(bytes, model: loaded, options: options, render: true)
                    var timings = output.timings
                    let start = ContinuousClock.now
                    _ = try output.pictures.first?.primary?.pngData()
                    timings.encode = .now - start
                    if index >= warmup { stages.append(timings) }
                }
                session.profile = nil
                results.append(BenchResult(model: loaded.name, method: name, stages: stages, forwardOnly: forward,
                                           profile: operators.map { ProfileSummary($0, runs: runs) }))
                if format == .text { results.last!.print() }
                for size in batchSizes {
                    batches.append(try timeBatch(of: size, bytes: bytes, model: loaded, options: options, session: session))
                    if format == .text { batches.last!.print() }
                }
            }
        }
        if format == .json {
            let document = BenchDocument(threads: threads, runs: runs, results: results.map(\.summary),
                                         batches: batches.map(\.summary))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(document), as: UTF8.self))
        }
    }

    /// Median of `runs` measurements after `warmup` untimed ones.
    private func measure(_ body: () throws -> Duration) throws -> Duration {
        for _ in 0..<warmup { _ = try body() }
        return median(try (0..<runs).map { _ in try body() })
    }

    /// A 224x224 PNG with smooth colour gradients and a bright disc.
    static func syntheticImage() throws -> [UInt8] {
        let size = 224
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        for y in 0..<size {
            for x in 0..<size {
                let inDisc = (x - 140) * (x - 140) + (y - 90) * (y - 90) < 40 * 40
                let i = (y * size + x) * 3
                pixels[i] = inDisc ? 240 : UInt8(x)
                pixels[i + 1] = inDisc ? 200 : UInt8(y)
                pixels[i + 2] = UInt8((x + y) / 2)
            }
        }
        return try Image(width: size, height: size, pixels: pixels).pngData()
    }
}

func median(_ values: [Duration]) -> Duration {
    let sorted = values.sorted()
    return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
}

/// One model and method's timings.
struct BenchResult {
    let model: String
    let method: String
    let stages: [PipelineTimings]
    let forwardOnly: Duration
    let profile: ProfileSummary?

    var summary: BenchDocument.Result {
        let names = PipelineTimings().stages.map(\.name)
        var medians: [String: Double] = [:]
        for (index, name) in names.enumerated() {
            medians[name] = median(stages.map { $0.stages[index].duration }).milliseconds
        }
        medians["total"] = median(stages.map(\.total)).milliseconds
        return .init(model: model, method: method, medianMilliseconds: medians, forwardOnlyMilliseconds: forwardOnly.milliseconds,
                     profile: profile)
    }

    func print() {
        let s = summary.medianMilliseconds
        let order = PipelineTimings().stages.map(\.name) + ["total"]
        Swift.print("\(model) \(method): " + order.map { String(format: "%@ %.1f", $0, s[$0]!) }.joined(separator: ", ")
                    + String(format: " ms (median of %d); forward alone %.1f ms", stages.count, summary.forwardOnlyMilliseconds))
        profile?.print()
    }
}

struct BenchDocument: Encodable {
    struct Result: Encodable {
        let model: String
        let method: String
        let medianMilliseconds: [String: Double]
        let forwardOnlyMilliseconds: Double
        let profile: ProfileSummary?

        enum CodingKeys: String, CodingKey {
            case model, method, profile
            case medianMilliseconds = "median_ms"
            case forwardOnlyMilliseconds = "forward_only_ms"
        }
    }

    let threads: Int
    let runs: Int
    let results: [Result]
    /// `--batch` timings, per image.
    let batches: [BatchBenchResult.Summary]
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
