/// pytorch-grad-cam's two smoothing options a method honours (`ExplanationMethod.smoothing`).
/// The request asks for them in `MethodParameters` (`eigen_smooth`, `aug_smooth`); a method
/// that does not declare one ignores it, and the document reports an option (as `true`) only
/// when the method applied it.
public struct Smoothing: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// `eigen_smooth`: each class map is the first principal component of the weighted
    /// activations instead of their channel sum (`Evidence.camMaps`).
    public static let eigen = Smoothing(rawValue: 1)
    /// `aug_smooth`: the mean map over the input flipped and scaled (`Explainer+AugmentationSmoothing.swift`).
    public static let augmentation = Smoothing(rawValue: 2)
    /// Both: every CAM whose map reduces weighted activations (`WeightedActivations`).
    public static let all: Smoothing = [.eigen, .augmentation]

    /// The options of `requested` this set applies, by the API's names, for the document.
    func applied(_ requested: MethodParameters) -> [String: ParameterValue] {
        var applied: [String: ParameterValue] = [:]
        if contains(.eigen) && requested.eigenSmooth { applied["eigen_smooth"] = .bool(true) }
        if contains(.augmentation) && requested.augSmooth { applied["aug_smooth"] = .bool(true) }
        return applied
    }
}

extension Method {
    /// What the document reports for `model` at `layers`: the method's own parameters and
    /// the smoothing it applied.
    func reportedParameters(_ requested: MethodParameters, model: ExplainableModel, layers: [Layer]) -> [String: ParameterValue] {
        implementation.parameters(requested, model: model, layers: layers)
            .merging(implementation.smoothing.applied(requested)) { own, _ in own }
    }
}
