import ArgumentParser
import Explain

/// The method parameters as flags (`MethodParameters`; the API's names with dashes). A flag
/// left out means the method's default, its reference library's.
struct MethodParameterOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Points on the path from the baseline to the input (Integrated Gradients: 50).", valueName: "n"))
    var steps: Int?

    @Option(help: ArgumentHelp("What the input is compared with: \(MethodParameters.Baseline.allNames.joined(separator: ", ")).", valueName: "baseline"))
    var baseline: String?

    @Option(help: ArgumentHelp("Noisy copies of the input (SmoothGrad, VarGrad, GradientSHAP, SSCAM, ...).", valueName: "n"))
    var samples: Int?

    @Option(name: .customLong("noise-level"), help: ArgumentHelp("The noise's standard deviation, in the preprocessed input's units.", valueName: "sigma"))
    var noiseLevel: Float?

    @Option(help: ArgumentHelp("The occluding patch's side in input pixels (Occlusion).", valueName: "pixels"))
    var window: Int?

    @Option(help: ArgumentHelp("The occluding patch's step in input pixels (Occlusion).", valueName: "pixels"))
    var stride: Int?

    @Option(help: ArgumentHelp("The seed of the method's random draws; the document reports it.", valueName: "seed"))
    var seed: UInt64?

    @Option(name: .customLong("base-method"), help: ArgumentHelp(
        "The gradient attribution SmoothGrad and VarGrad smooth: \(MethodParameters.baseMethodNames.joined(separator: ", ")) (default saliency).",
        valueName: "method"))
    var baseMethod: String?

    @Option(name: .customLong("comparison-alpha"), help: ArgumentHelp(
        "FinerCAM: the weight of the comparison classes' scores, \(MethodParameters.comparisonAlphaRange) (default 1).",
        valueName: "alpha"))
    var comparisonAlpha: Float?

    @Option(name: .customLong("comparison-categories"), help: ArgumentHelp(
        "FinerCAM: the compared classes as ranks by nearness in score to the explained class, e.g. 1,2,3 (the default; 1 is the nearest).",
        valueName: "r,r,..."))
    var comparisonCategories: String?

    @Option(help: ArgumentHelp("KPCA-CAM's kernel: \(MethodParameters.Kernel.allNames.joined(separator: ", ")) (default sigmoid).", valueName: "kernel"))
    var kernel: String?

    @Option(help: ArgumentHelp(
        "KPCA-CAM's kernel coefficient (sigmoid, rbf, poly), \(MethodParameters.gammaRange) (default 1/channels).",
        valueName: "gamma"))
    var gamma: Float?

    @Option(name: .customLong("n-components"), help: ArgumentHelp(
        "Deep Feature Factorization's concepts, \(MethodParameters.nComponentsRange) and at most the layer's channels (default 5).",
        valueName: "k"))
    var nComponents: Int?

    @Option(name: .customLong("concept-classes"), help: ArgumentHelp(
        "Deep Feature Factorization: classes listed per concept, \(MethodParameters.conceptClassesRange) (default 2).",
        valueName: "n"))
    var conceptClasses: Int?

    @Flag(name: .customLong("aug-smooth"), help: "Average the map over flipped and rescaled inputs (pytorch-grad-cam's aug_smooth).")
    var augSmooth = false

    @Flag(name: .customLong("eigen-smooth"), help: "Keep the first principal component of the weighted activations (pytorch-grad-cam's eigen_smooth).")
    var eigenSmooth = false

    func validate() throws {
        _ = try parameters()
    }

    /// The flags as `MethodParameters`, checked against their ranges.
    func parameters() throws -> MethodParameters {
        var m = MethodParameters()
        m.steps = steps
        if let baseline {
            guard let value = MethodParameters.Baseline(rawValue: baseline) else {
                throw ValidationError("unknown baseline '\(baseline)'; baselines: \(MethodParameters.Baseline.allNames.joined(separator: ", "))")
            }
            m.baseline = value
        }
        if let kernel {
            guard let value = MethodParameters.Kernel(rawValue: kernel) else {
                throw ValidationError("unknown kernel '\(kernel)'; kernels: \(MethodParameters.Kernel.allNames.joined(separator: ", "))")
            }
            m.kernel = value
        }
        m.gamma = gamma
        m.nComponents = nComponents
        m.conceptClasses = conceptClasses
        m.samples = samples
        m.noiseLevel = noiseLevel
        m.window = window
        m.stride = stride
        m.seed = seed
        m.augSmooth = augSmooth
        m.eigenSmooth = eigenSmooth
        m.baseMethod = baseMethod
        m.comparisonAlpha = comparisonAlpha
        m.comparisonCategories = try comparisonCategories.map { text in
            try text.split(separator: ",", omittingEmptySubsequences: false).map { rank in
                guard let value = Int(rank) else {
                    throw ValidationError("--comparison-categories takes ranks separated by commas (e.g. 1,2,3), got '\(text)'")
                }
                return value
            }
        }
        do { try m.validate() } catch { throw ValidationError(error.description) }
        return m
    }
}
