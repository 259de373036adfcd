import ClientText
import Explain

extension RequestParameters {
    /// The API's names of `MethodParameters`.
    static let methodParameterNames: Set<String> = [
        "steps", "baseline", "samples", "noise_level", "window", "stride", "seed", "aug_smooth", "eigen_smooth",
        "base_method", "comparison_alpha", "comparison_categories", "kernel", "gamma",
        "n_components", "concept_classes",
    ]

    /// The method parameters a request gives; each is checked against its range.
    func methodParameters() throws -> MethodParameters {
        var m = MethodParameters()
        m.steps = try int("steps", in: MethodParameters.stepsRange)
        m.baseline = try choice("baseline", MethodParameters.Baseline.allNames).flatMap(MethodParameters.Baseline.init(rawValue:))
        m.samples = try int("samples", in: MethodParameters.samplesRange)
        m.noiseLevel = try float("noise_level", in: MethodParameters.noiseLevelRange)
        m.window = try int("window", in: MethodParameters.windowRange)
        m.stride = try int("stride", in: MethodParameters.strideRange)
        if let text = try single("seed") {
            guard let seed = UInt64(text) else {
                throw ServiceError.badParameter("seed", "\(ClientText.quoted(text)) is not an integer in 0...\(UInt64.max)")
            }
            m.seed = seed
        }
        m.augSmooth = try bool("aug_smooth") ?? false
        m.eigenSmooth = try bool("eigen_smooth") ?? false
        m.baseMethod = try choice("base_method", MethodParameters.baseMethodNames)
        m.comparisonAlpha = try float("comparison_alpha", in: MethodParameters.comparisonAlphaRange)
        m.comparisonCategories = try ints("comparison_categories", in: MethodParameters.comparisonRankRange)
        m.kernel = try choice("kernel", MethodParameters.Kernel.allNames).flatMap(MethodParameters.Kernel.init(rawValue:))
        m.gamma = try float("gamma", in: MethodParameters.gammaRange)
        m.nComponents = try int("n_components", in: MethodParameters.nComponentsRange)
        m.conceptClasses = try int("concept_classes", in: MethodParameters.conceptClassesRange)
        return m
    }
}
