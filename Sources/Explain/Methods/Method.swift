/// A method the tool offers: an `ExplanationMethod` with value semantics and equality by
/// name, so options, documents and tests can hold, compare and print it.
public struct Method: Sendable, Hashable, CustomStringConvertible {
    public let implementation: any ExplanationMethod

    public init(_ implementation: any ExplanationMethod) {
        self.implementation = implementation
    }

    /// Every method, in the order listings show them. Each line names the constant its
    /// method's file declares.
    public static let registry: [Method] = [
        .gradcam,
        .gradcamPlusPlus,
        .xgradcam,
        .hirescam,
        .layercam,
        .eigencam,
        .scorecam,
        .cam,
        .guidedBackprop,
        .guidedGradcam,
        .eigengradcam,
        .gradcamElementwise,
        .iscam,
        .saliency,
        .inputXGradient,
        .deconvolution,
        .integratedGradients,
        .gradientShap,
        .occlusion,
        .smoothgrad,
        .vargrad,
        .fullgrad,
        .dff,
        .ablationcam,
        .kpcacam,
        .finercam,
        .shapleycam,
        .sscam,
        .smoothgradcamPlusPlus,
    ]

    /// The registered method called `name`.
    public init?(named name: String) {
        guard let method = Self.registry.first(where: { $0.name == name }) else { return nil }
        self = method
    }

    public static var allNames: [String] { registry.map(\.name) }

    public var name: String { implementation.name }
    public var summary: String { implementation.summary }
    public var needs: MethodNeeds { implementation.needs }
    public var usesLayer: Bool { needs.usesLayer }
    public var attributesInput: Bool { implementation.attributesInput }
    public var isBatchable: Bool { needs.isBatchable }
    public var description: String { name }

    public static func == (a: Method, b: Method) -> Bool { a.name == b.name }
    public func hash(into hasher: inout Hasher) { hasher.combine(name) }
}
