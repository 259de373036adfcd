import Tensor

/// An explanation method: what it reads from the network (`needs`), and one function from
/// that (`Evidence`) to its class maps.
///
/// The explainer runs one forward pass and the backward passes that the union of the chosen
/// methods' needs asks for, then hands each method the same evidence. Adding a method is one
/// file (a type conforming to this protocol, and its `Method` constant) and one line in
/// `Method.registry`; nothing else switches on a method's name.
public protocol ExplanationMethod: Sendable {
    /// The CLI's `--method` and the API's `method` value.
    var name: String { get }
    /// One line saying what the method computes, for listings.
    var summary: String { get }
    var needs: MethodNeeds { get }
    /// Whether the method's own result is an input attribution `[C, H, W]` (its first
    /// `ClassExplanation.attributions`, the document's map) rather than its class map.
    var attributesInput: Bool { get }
    /// Which of pytorch-grad-cam's `eigen_smooth` and `aug_smooth` the method honours.
    var smoothing: Smoothing { get }
    /// The parameter values the method uses for `requested` (its defaults filled in), by the
    /// API's names, for the document; empty for methods without parameters. A method whose
    /// values depend on the model implements `parameters(_:model:layers:)` instead.
    func parameters(_ requested: MethodParameters) -> [String: ParameterValue]
    /// What the document reports for an explanation of `model` at `layers`: by default
    /// `parameters(requested)`; a method whose values depend on the model reports those it
    /// used (FinerCAM's ranks that exist) and how it computed (ShapleyCAM's Hessian-vector product).
    func parameters(_ requested: MethodParameters, model: ExplainableModel, layers: [Layer]) -> [String: ParameterValue]
    /// One explanation per class of `evidence.classes`, in order.
    func explain(_ evidence: Evidence) throws -> [ClassExplanation]
}

extension ExplanationMethod {
    public var attributesInput: Bool { false }
    public var smoothing: Smoothing { [] }
    public func parameters(_ requested: MethodParameters) -> [String: ParameterValue] { [:] }
    public func parameters(_ requested: MethodParameters, model: ExplainableModel, layers: [Layer]) -> [String: ParameterValue] {
        parameters(requested)
    }
}

/// What a method reads from the network. The explainer computes the union over the methods
/// of one request, and nothing more.
public struct MethodNeeds: Sendable, Equatable {
    /// The explained layers' activations `A [1, C, h, w]`.
    public var layerActivations = false
    /// `∂S_k/∂A` for each explained class `k` at each layer: one backward pass to the layers.
    public var layerGradients = false
    /// `∂S_k/∂x` at the input, through rectifiers under each rule: one backward pass per rule.
    public var inputGradients: Set<RectifierRule> = []
    /// The linear head's class weights behind a global average pool of the layer (CAM).
    public var classHead = false
    /// Passes of other inputs (masked or perturbed copies of the input): `Evidence.scores`,
    /// `Evidence.layerEvidence(of:)`.
    public var scores = false
    /// `∂S_k/∂z` at the output `z` of every layer with a per-channel bias (`BiasLayer`), from
    /// the `.standard` input-gradient pass, which it implies: `Evidence.biasGradients`.
    public var biasGradients = false
    /// Gradients to the layers of targets the method makes of the logits (FinerCAM's):
    /// `Evidence.layerGradients(seeds:)`, a backward pass from the explained forward pass.
    public var targetGradients = false

    public init(layerActivations: Bool = false, layerGradients: Bool = false, inputGradients: Set<RectifierRule> = [],
                classHead: Bool = false, scores: Bool = false, biasGradients: Bool = false, targetGradients: Bool = false) {
        self.layerActivations = layerActivations
        self.layerGradients = layerGradients
        self.inputGradients = biasGradients ? inputGradients.union([.standard]) : inputGradients
        self.classHead = classHead
        self.scores = scores
        self.biasGradients = biasGradients
        self.targetGradients = targetGradients
    }

    /// Whether the result depends on the explained layer.
    public var usesLayer: Bool { layerActivations || layerGradients || classHead }

    /// Whether images can share one batched forward and backward pass: the method reads only
    /// the layers' activations and the gradients to them (see `Explainer+Batch.swift`).
    public var isBatchable: Bool {
        layerActivations && inputGradients.isEmpty && !classHead && !scores && !biasGradients && !targetGradients
    }

    /// What either asks for.
    public func union(_ other: MethodNeeds) -> MethodNeeds {
        MethodNeeds(layerActivations: layerActivations || other.layerActivations,
                    layerGradients: layerGradients || other.layerGradients,
                    inputGradients: inputGradients.union(other.inputGradients),
                    classHead: classHead || other.classHead, scores: scores || other.scores,
                    biasGradients: biasGradients || other.biasGradients,
                    targetGradients: targetGradients || other.targetGradients)
    }
}
