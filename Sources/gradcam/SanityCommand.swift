import ArgumentParser
import Explain
import Foundation
import Models
import Pipeline

/// `gradcam sanity`: Adebayo et al.'s cascading randomization check of explanation methods.
struct SanityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sanity",
        abstract: "Check that explanation methods depend on the model's weights (cascading randomization, Adebayo et al. 2018).",
        discussion: """
            Randomizes the parameterized layers (Conv, Gemm, MatMul, BatchNormalization) from the scores
            down, one more at each step, and compares each method's map with the original network's
            (Spearman's rank correlation of absolute and signed maps, SSIM, HOG similarity), for the
            class the original network explains. Prints a curve and a verdict per method.
            --output DIR writes sanity.json, the preprocessed input (input.f32, 1 x C x H x W) and, per
            method and step, the compared maps (<method>/step-<k>.abs.f32 and .signed.f32, H x W), all
            raw little-endian float32; --write-models also writes each step's network as
            DIR/step-<k>.onnx (tools/sanity/reference.py checks them against Quantus).
            """)

    @OptionGroup var model: ModelOptions

    @Option(help: "The image (PNG or JPEG).")
    var input: String

    @Option(help: ArgumentHelp("Methods, comma-separated; any of: \(Method.allNames.joined(separator: ", ")).", valueName: "methods"))
    var method = SanityOptions.defaultMethods.map(\.name).joined(separator: ",")

    @Option(name: [.customLong("class"), .customLong("label")], help: ArgumentHelp(
        "The class to explain, by index or label. Default: the original network's top-1 class.", valueName: "class"))
    var classIndex: String?

    @Option(help: ArgumentHelp("The layer: a tensor name, node name or alias; a,b,c fuses several.", valueName: "layer"))
    var layer: String?

    @Option(help: ArgumentHelp("Seed of the random weights, \(SanityOptions.seedRange.lowerBound)...\(SanityOptions.seedRange.upperBound).", valueName: "seed"))
    var seed = String(SanityOptions.defaultSeed)

    @Option(help: "text or json.")
    var format: OutputFormat = .text

    @Option(help: "A directory for sanity.json and the compared maps.")
    var output: String?

    @Flag(name: .customLong("write-models"), help: "With --output: also write each step's randomized network as ONNX.")
    var writeModels = false

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

    func validate() throws {
        do {
            _ = try SanityOptions.methods(commaSeparated([method]))
            _ = try SanityOptions.seed(seed)
        } catch {
            throw ValidationError("\(error)")
        }
        guard output != nil || !writeModels else { throw ValidationError("--write-models needs --output DIR") }
    }

    func run() throws {
        let loaded = try model.load()
        var options = SanityOptions()
        options.methods = try SanityOptions.methods(commaSeparated([method]))
        options.seed = try SanityOptions.seed(seed)
        options.classes = classIndex.map { [$0] } ?? []
        options.layers = commaSeparated(layer.map { [$0] } ?? [])
        if let output { try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true) }
        let weights = writeModels ? try loaded.weights() : nil
        let session = ExplainSession(threads: model.threads)
        let result = try session.sanity(try readInput(input), model: loaded, options: options, keepMaps: output != nil) { step, replacements in
            if let weights, let output {
                try weights.write(replacing: replacements, to: (output as NSString).appendingPathComponent("step-\(step).onnx"))
            }
        }
        if let output { try write(result, to: output) }
        switch format {
        case .json: print(try DocumentEncoding.string(result.document))
        case .text: printSummary(result.document)
        }
    }

    private func write(_ result: ExplainSession.SanityOutput, to directory: String) throws {
        func put(_ data: Data, _ name: String) throws {
            let path = (directory as NSString).appendingPathComponent(name)
            guard FileManager.default.createFile(atPath: path, contents: data) else { throw CommandError("cannot write '\(path)'") }
        }
        try put(Data(try DocumentEncoding.json(result.document)), "sanity.json")
        try put(result.input.floats.withUnsafeBytes { Data($0) }, "input.f32")
        for (k, method) in result.document.methods.map(\.method).enumerated() {
            try FileManager.default.createDirectory(atPath: (directory as NSString).appendingPathComponent(method),
                                                    withIntermediateDirectories: true)
            for (step, maps) in result.maps.enumerated() {
                try put(maps[k].absolute.withUnsafeBytes { Data($0) }, "\(method)/step-\(step).abs.f32")
                try put(maps[k].signed.withUnsafeBytes { Data($0) }, "\(method)/step-\(step).signed.f32")
            }
        }
    }

    private func printSummary(_ d: SanityDocument) {
        print("\(d.model) at \(d.layer), class \(d.class.classIndex) \(d.class.label) (score \(String(format: "%.4f", d.class.score))), seed \(d.seed)")
        func number(_ value: Double?) -> String { value.map { String(format: "%6.3f", $0) } ?? "     -" }
        for m in d.methods {
            print("\n\(m.method): \(m.verdict)")
            print("step  randomized                      spearman_abs  spearman    ssim     hog")
            for (step, s) in zip(d.steps, m.curve) {
                let name = step.layer.map { "\($0) (\(step.op ?? ""))" } ?? "(original)"
                print(String(format: "%4d  %@", step.step, name.padding(toLength: 30, withPad: " ", startingAt: 0))
                      + "  \(number(s.spearmanAbs))        \(number(s.spearman))  \(number(s.ssim))  \(number(s.hog))")
            }
        }
        print("\nrule: \(d.rule)")
    }
}
