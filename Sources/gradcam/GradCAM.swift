import ArgumentParser

/// `gradcam`: explain CNN image classifiers with Grad-CAM, from the command line or as a service.
@main
struct GradCAM: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradcam",
        abstract: "Explain CNN image classifiers with Grad-CAM heatmaps.",
        subcommands: [Serve.self, ExplainCommand.self, Predict.self, BatchCommand.self, Layers.self, ModelsCommand.self, Bench.self,
                      SanityCommand.self])
}
