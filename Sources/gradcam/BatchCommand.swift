import ArgumentParser
import Explain
import Foundation
import Imaging
import Models
import Pipeline

/// `gradcam batch`: explains every image of a directory, list or Label Studio tasks file into
/// an output directory (results.jsonl, errors.jsonl, exports), resumable.
struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Explain many images: JSON Lines results, COCO boxes, masks and overlays; resumable.",
        discussion: """
            Writes into --output: results.jsonl (one line per image done: the document of \
            `gradcam explain --format json` with the image's "path" and "sha256"), errors.jsonl \
            (one line per image that failed in this run: path and the API's error code and message) \
            and the --export files: coco.json and label-studio.json (written at the end from all of \
            results.jsonl), \
            masks/ and overlays/ (<name>_<hash8>_<class>.png, written as each image is done). \
            --resume skips the images whose path and content are already in results.jsonl. \
            Exits with status 1 when any image failed.
            """)

    @OptionGroup var model: ModelOptions

    @Option(help: ArgumentHelp("A directory of images (PNG and JPEG, sorted by path), a list of paths (one per line), or Label Studio tasks (.jsonl: {\"data\": {\"image\": \"path\"}}).", valueName: "DIR|LIST.txt|TASKS.jsonl"))
    var input: String

    @Option(help: ArgumentHelp("The output directory.", valueName: "DIR"))
    var output: String

    @Option(name: [.customLong("class"), .customLong("label")], help: ArgumentHelp(
        "A class to explain in every image, by index or label; repeat or separate with commas. Default: the top-1 class.", valueName: "class"))
    var classes: [String] = []

    @Option(name: .customLong("top-k"), help: ArgumentHelp("Explain each image's K most likely classes (instead of --class).", valueName: "K"))
    var topK: Int?

    @Option(help: ArgumentHelp("One of: \(Method.allNames.joined(separator: ", ")).", valueName: "method"))
    var method = "gradcam"

    @OptionGroup(title: "Method parameters") var methodParameters: MethodParameterOptions

    /// Every image's document carries its maps' metrics (the images then run one by one: a
    /// metric's passes are per image). Not the pointing game: one `--box` cannot be every image's object.
    @OptionGroup(title: "Faithfulness metrics") var metricOptions: MetricOptions

    @Option(help: ArgumentHelp("The layer: a tensor name, node name or alias (see `gradcam layers`); a,b,c fuses several.", valueName: "layer"))
    var layer: String?

    @Option(help: ArgumentHelp("What to write, a comma list of: \(BatchExports.names.joined(separator: ", ")) (results.jsonl is always written).", valueName: "formats"))
    var export = "jsonl"

    @Option(help: ArgumentHelp("Images explained at once, each by its own worker; --threads compute threads are shared among them. Default: one per core.", valueName: "N"))
    var jobs: Int?

    @Option(name: .customLong("batch-size"), help: ArgumentHelp(
        "Images each job explains in one batched forward and backward pass (as `gradcam serve --batch-size`), when the method reads a layer's activations and gradients and each image has one class (--class C, the top-1, or --top-k 1); 1 explains them one by one.",
        valueName: "N"))
    var batchSize = BatchCommand.defaultBatchSize

    @Flag(help: "Continue the batch in --output: skip the images already in its results.jsonl (same path and content).")
    var resume = false

    @Option(name: .customLong("box-threshold"), help: ArgumentHelp(
        "The fraction of a map's maximum that COCO boxes and masks keep, in (0, 1]; the API's box uses \(Localization.defaultThreshold).", valueName: "t"))
    var boxThreshold = Localization.defaultThreshold

    @Option(help: ArgumentHelp("Colormap of the overlays: \(Colormap.allNames.joined(separator: ", ")).", valueName: "name"))
    var colormap = Colormap.default.rawValue

    @Option(help: "Opacity of the heatmap in the overlays, 0...1.")
    var alpha = Image.defaultOverlayAlpha

    @Option(name: .customLong("max-file-mb"), help: "Largest image file read, in MB (as `gradcam serve --max-body-mb`).")
    var maxFileMB = 20.0

    func validate() throws {
        guard let method = Method(named: method) else {
            throw ValidationError("unknown method '\(self.method)'; methods: \(Method.allNames.joined(separator: ", "))")
        }
        guard Colormap(name: colormap) != nil else {
            throw ValidationError("unknown colormap '\(colormap)'; colormaps: \(Colormap.allNames.joined(separator: ", "))")
        }
        if let topK {
            guard classes.isEmpty else { throw ValidationError("give --class or --top-k, not both") }
            let range = ExplainOptions.classCountRange
            guard range.contains(topK) else { throw ValidationError("--top-k must be between \(range.lowerBound) and \(range.upperBound)") }
        }
        let metrics = try ExplainOptions.metrics(named: commaSeparated(metricOptions.metrics))
        guard !metrics.contains(.pointingGame) && metricOptions.box == nil else {
            throw ValidationError("pointing-game needs each image's object box, which gradcam batch does not take: use gradcam explain --box; batch computes the other metrics")
        }
        if let jobs, !(1...256).contains(jobs) { throw ValidationError("--jobs must be between 1 and 256") }
        guard (1...BatchCommand.batchSizeLimit).contains(batchSize) else {
            throw ValidationError("--batch-size must be 1...\(BatchCommand.batchSizeLimit)")
        }
        guard boxThreshold > 0 && boxThreshold <= 1 else { throw ValidationError("--box-threshold must be in (0, 1], got \(boxThreshold)") }
        guard maxFileMB > 0 && maxFileMB <= 1024 else { throw ValidationError("--max-file-mb must be in (0, 1024]") }
        let exports: [any BatchExport]
        do { exports = try BatchExports.make(export, threshold: boxThreshold) } catch { throw ValidationError(error.description) }
        if method.attributesInput, let export = exports.first(where: \.needsClassMap) {
            throw ValidationError("--export \(export.name) needs a class map; \(method.name) gives an input attribution: choose another --method")
        }
    }

    func run() throws {
        let loaded = try model.load()
        var options = ExplainOptions()
        options.method = Method(named: method)!
        options.parameters = try methodParameters.parameters()
        options.layers = commaSeparated(layer.map { [$0] } ?? [])
        options.colormap = Colormap(name: colormap)!
        options.alpha = alpha
        options.top = max(ExplainOptions().top, topK ?? 0)
        options.topClasses = topK ?? 1
        try metricOptions.apply(to: &options)
        // Named classes are resolved once: a wrong name is the command's mistake, not an image's.
        options.classes = try ClassSelector.resolve(commaSeparated(classes), labels: loaded.labels, model: loaded.name).map(String.init)
        try options.validate()
        let exports = try BatchExports.make(export, threshold: boxThreshold)
        let items = try BatchInput.enumerate(input)
        let journal = try BatchJournal(directory: output, resume: resume)
        let jobs = min(self.jobs ?? ProcessInfo.processInfo.activeProcessorCount, max(1, items.count))
        let runner = BatchRunner(
            items: items, model: loaded, options: options, journal: journal, exports: exports,
            jobs: jobs, batchSize: batchSize, threadsPerJob: max(1, model.threads / jobs), maxFileBytes: Int(maxFileMB * 1_000_000))
        let progress = BatchProgress(total: items.count, terminal: isatty(STDERR_FILENO) != 0)
        runner.start()
        while !runner.wait(seconds: progress.interval) { progress.show(runner.counts) }
        let counts = runner.counts
        progress.finish(counts)
        if let fatal = runner.fatal { throw CommandError("batch stopped: \(fatal)") }
        for export in exports { try export.finish(journal, labels: loaded.labels) }
        print(BatchProgress.summary(counts, output: journal.directory.path))
        if counts.failed > 0 { throw ExitCode(1) }
    }
}

extension BatchCommand {
    /// Images per batched pass unless --batch-size says otherwise. `gradcam bench --batch`,
    /// CPU time per image on one thread (a shared machine): AlexNet 49.7 ms alone, 28.2 in a
    /// batch of 8, 27.5 in one of 16; VGG16 343.7, 284.8, 274.0. Eight gets nearly all of
    /// sixteen's gain (the classifier's weights read once per batch) with half the activations.
    static let defaultBatchSize = 8
    /// The largest --batch-size: the activations grow with it (VGG16: about 40 MB per image).
    static let batchSizeLimit = 64
}
