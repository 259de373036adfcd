/// The per-request settings of the methods that take any. A nil field means the method's
/// default, which is its reference library's; `ExplanationMethod.parameters(_:)` reports the
/// values a method used, for the document.
///
/// Names: the CLI's `--steps`, `--baseline`, `--samples`, `--noise-level`, `--window`,
/// `--stride`, `--seed`, `--aug-smooth`, `--eigen-smooth`, `--base-method`,
/// `--comparison-alpha`, `--comparison-categories`, `--kernel`, `--gamma`, `--n-components`,
/// `--concept-classes`; the API's `steps`, `baseline`, `samples`, `noise_level`, `window`,
/// `stride`, `seed`, `aug_smooth`, `eigen_smooth`, `base_method`, `comparison_alpha`,
/// `comparison_categories`, `kernel`, `gamma`, `n_components`, `concept_classes`.
public struct MethodParameters: Sendable, Hashable {
    /// Points on the path from the baseline to the input (Integrated Gradients).
    public var steps: Int?
    /// What the input is compared with (Integrated Gradients, GradientSHAP).
    public var baseline: Baseline?
    /// Noisy copies of the input (SmoothGrad, VarGrad, GradientSHAP, SSCAM, ...).
    public var samples: Int?
    /// The noise's standard deviation, in the preprocessed input's units.
    public var noiseLevel: Float?
    /// The occluding patch's side, in input pixels (Occlusion).
    public var window: Int?
    /// The patch's step, in input pixels (Occlusion).
    public var stride: Int?
    /// The seed of every random draw (noise, baselines); the document reports it.
    public var seed: UInt64?
    /// The gradient attribution SmoothGrad and VarGrad smooth (default saliency;
    /// `baseMethodNames` lists the accepted ones).
    public var baseMethod: String?
    /// FinerCAM's weight of the comparison classes' scores (the library's `alpha`).
    public var comparisonAlpha: Float?
    /// FinerCAM's comparison classes, as ranks by nearness in score to the explained class
    /// (`comparison_categories`; 1 is the nearest other class).
    public var comparisonCategories: [Int]?
    /// KPCA-CAM's kernel (scikit-learn `KernelPCA`'s `kernel`).
    public var kernel: Kernel?
    /// KPCA-CAM's kernel coefficient `γ` (`KernelPCA`'s `gamma`; nil: `1 / channels`).
    public var gamma: Float?
    /// Deep Feature Factorization's number of concepts (`n_components`).
    public var nComponents: Int?
    /// Deep Feature Factorization's classes listed per concept (`run_dff_on_image`'s `top_k`).
    public var conceptClasses: Int?
    /// pytorch-grad-cam's `aug_smooth`: the mean map over flipped and rescaled inputs.
    public var augSmooth = false
    /// pytorch-grad-cam's `eigen_smooth`: the first principal component of the weighted activations.
    public var eigenSmooth = false

    public init() {}

    /// Checks the ranges below; the message names the parameter and what is accepted.
    public func validate() throws(ExplainError) {
        func check<T: Comparable>(_ name: String, _ value: T?, _ range: ClosedRange<T>) throws(ExplainError) {
            guard let value, !range.contains(value) else { return }
            throw .invalidParameter("\(name) must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        try check("steps", steps, Self.stepsRange)
        try check("samples", samples, Self.samplesRange)
        if let noiseLevel, !noiseLevel.isFinite { throw .invalidParameter("noise_level must be a finite number") }
        try check("noise_level", noiseLevel, Self.noiseLevelRange)
        try check("window", window, Self.windowRange)
        try check("stride", stride, Self.strideRange)
        if let baseMethod, !Self.baseMethodNames.contains(baseMethod) { throw .invalidParameter(Self.baseMethodRefusal(baseMethod)) }
        if let comparisonAlpha, !comparisonAlpha.isFinite { throw .invalidParameter("comparison_alpha must be a finite number") }
        try check("comparison_alpha", comparisonAlpha, Self.comparisonAlphaRange)
        if let comparisonCategories { try Self.validate(comparisonCategories: comparisonCategories) }
        if let gamma, !gamma.isFinite { throw .invalidParameter("gamma must be a finite number") }
        try check("gamma", gamma, Self.gammaRange)
        try check("n_components", nComponents, Self.nComponentsRange)
        try check("concept_classes", conceptClasses, Self.conceptClassesRange)
    }

    /// The accepted ranges: they bound each request's work (passes are steps or samples
    /// times the classes, each a forward and a backward pass).
    public static let stepsRange = 1...1024
    public static let samplesRange = 1...1024
    public static let noiseLevelRange: ClosedRange<Float> = 0...100
    public static let windowRange = 1...4096
    public static let strideRange = 1...4096

    /// What a method compares the input with.
    public enum Baseline: String, Sendable, CaseIterable {
        /// All zeros in the preprocessed input (Captum's default).
        case black
        /// The input blurred.
        case blurred
        /// Uniform noise over the input's range.
        case uniformNoise = "uniform-noise"

        public static var allNames: [String] { allCases.map(\.rawValue) }
    }
}

/// A parameter value as the document reports it.
public enum ParameterValue: Sendable, Equatable, Codable {
    case int(Int)
    case number(Double)
    case string(String)
    case bool(Bool)
    /// Seeds above `Int.max`.
    case unsigned(UInt64)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Bool.self) {
            self = .bool(v)
        } else if let v = try? c.decode(Int.self) {
            self = .int(v)
        } else if let v = try? c.decode(UInt64.self) {
            self = .unsigned(v)
        } else if let v = try? c.decode(Double.self) {
            self = .number(v)
        } else {
            self = .string(try c.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let v): try c.encode(v)
        case .number(let v): try c.encode(v)
        case .string(let v): try c.encode(v)
        case .bool(let v): try c.encode(v)
        case .unsigned(let v): try c.encode(v)
        }
    }
}
