import ArgumentParser
import Explain
import Foundation
import Imaging
import Models
import Pipeline

/// `gradcam explain` (named so as not to shadow the `Explain` module).
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain a classification: a heatmap of where the model looks for a class.",
        discussion: """
            PNG output writes gradcam.png (the map over the image, for methods with a layer) into
            --output, and each input attribution as <name>.png (guided Grad-CAM: guided_gradcam.png and
            guided_backprop.png); with several classes the files are named gradcam-<class>.png and so
            on. JSON output prints the document the HTTP API returns.
            """)

    @OptionGroup var model: ModelOptions

    @Option(help: "The image (PNG or JPEG).")
    var input: String

    @Option(name: [.customLong("class"), .customLong("label")], help: ArgumentHelp(
        "A class to explain, by index or label; repeat or separate with commas. Default: the top-1 class.", valueName: "class"))
    var classes: [String] = []

    @Option(help: ArgumentHelp("The layer: a tensor name, node name or alias (see `gradcam layers`); a,b,c fuses several.", valueName: "layer"))
    var layer: String?

    @Option(help: ArgumentHelp("One of: \(Method.allNames.joined(separator: ", ")).", valueName: "method"))
    var method = "gradcam"

    @OptionGroup(title: "Method parameters") var methodParameters: MethodParameterOptions

    @Flag(help: "Explain the dilated equivalent of the network: pooling before the layer removed, later convolutions dilated (higher-resolution maps).")
    var dilate = false

    @Option(help: "png or json.")
    var format: OutputFormat = .png

    @Option(help: "Where PNG files are written.")
    var output = "."

    @Option(help: ArgumentHelp("Colormap: \(Colormap.allNames.joined(separator: ", ")).", valueName: "name"))
    var colormap = Colormap.default.rawValue

    @Option(help: "Opacity of the heatmap over the image, 0...1.")
    var alpha = Image.defaultOverlayAlpha

    @Option(help: "How many predictions to list.")
    var top = 5

    @Option(name: .customLong("max-side"), help: ArgumentHelp(
        "Longest side of the PNG images written, \(ExplainOptions.maxSideRange.lowerBound)...\(ExplainOptions.maxSideRange.upperBound); larger inputs are drawn on a copy resized to fit.",
        valueName: "pixels"))
    var maxSide = ExplainOptions.defaultMaxSide

    @OptionGroup(title: "Faithfulness metrics") var metricOptions: MetricOptions

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case png, json }

    func validate() throws {
        guard Method(named: method) != nil else {
            throw ValidationError("unknown method '\(method)'; methods: \(Method.allNames.joined(separator: ", "))")
        }
        guard Colormap(name: colormap) != nil else {
            throw ValidationError("unknown colormap '\(colormap)'; colormaps: \(Colormap.allNames.joined(separator: ", "))")
        }
    }

    func run() throws {
        let loaded = try model.load()
        var options = ExplainOptions()
        options.method = Method(named: method)!
        options.parameters = try methodParameters.parameters()
        options.classes = commaSeparated(classes)
        options.layers = commaSeparated(layer.map { [$0] } ?? [])
        options.colormap = Colormap(name: colormap)!
        options.alpha = alpha
        options.top = top
        options.dilate = dilate
        options.maxSide = maxSide
        try metricOptions.apply(to: &options)
        let session = ExplainSession(threads: model.threads)
        let result = try session.explain(try readInput(input), model: loaded, options: options, render: format == .png)
        switch format {
        case .json:
            print(try DocumentEncoding.string(result.document))
        case .png:
            try writeImages(result)
            printSummary(result.document)
        }
    }

    private func writeImages(_ result: ExplainSession.Output) throws {
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        let classes = result.document.explanations.map(\.classIndex)
        func write(_ image: Image, _ stem: String, _ cls: Int) throws {
            let name = classes.count == 1 ? "\(stem).png" : "\(stem)-\(cls).png"
            let path = (output as NSString).appendingPathComponent(name)
            guard FileManager.default.createFile(atPath: path, contents: Data(try image.pngData())) else {
                throw CommandError("cannot write '\(path)'")
            }
            print("wrote \(path)")
        }
        for (pictures, cls) in zip(result.pictures, classes) {
            if let overlay = pictures.overlay { try write(overlay, "gradcam", cls) }
            for attribution in pictures.attributions { try write(attribution.image, attribution.name, cls) }
        }
    }

    private func printSummary(_ d: ExplanationDocument) {
        print("\(d.model), \(d.method) at \(d.layer), image \(d.image.width)x\(d.image.height)")
        for p in d.predictions {
            print(String(format: "%6.4f  logit %8.4f  %5d  %@", p.score, p.logit, p.classIndex, p.label))
        }
        for e in d.explanations {
            let place = e.peak.map { "peak (\($0.x), \($0.y))" } ?? "zero map"
            let box = e.box.map { ", box \($0.width)x\($0.height) at (\($0.x), \($0.y))" } ?? ""
            print("class \(e.classIndex) \(e.label): \(place)\(box)")
        }
    }
}

/// Repeated options whose values may also be comma-separated (`--class a,b --class c`), as a flat list.
func commaSeparated(_ values: [String]) -> [String] {
    values.flatMap { $0.split(separator: ",").map(String.init) }
}
