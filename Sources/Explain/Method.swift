/// An explanation method. Names are the CLI's and the HTTP API's `method` values.
public enum Method: String, CaseIterable, Sendable, Codable {
    /// Grad-CAM (Selvaraju et al.): channel weights are the spatial mean of the gradients.
    case gradcam
    /// Grad-CAM++ (Chattopadhay et al.): weights from second- and third-order gradient terms.
    case gradcamPlusPlus = "gradcam++"
    /// XGrad-CAM (Fu et al.): weights are gradients times activations, normalized by the activation sum.
    case xgradcam
    /// HiResCAM (Draelos and Carin): the channel sum of gradients times activations, per pixel.
    case hirescam
    /// LayerCAM (Jiang et al.): the channel sum of positive gradients times activations.
    case layercam
    /// Eigen-CAM (Muhammad and Yeasin): the activations' first principal component; class-agnostic.
    case eigencam
    /// Score-CAM (Wang et al.): channel weights from the class score of masked inputs; no gradients.
    case scorecam
    /// CAM (Zhou et al.): the exact class activation map of a global-average-pool + linear head.
    case cam
    /// Guided backpropagation (Springenberg et al.): the input gradient through guided ReLUs.
    case guidedBackprop = "guided-backprop"
    /// Guided Grad-CAM: guided backpropagation times the upsampled Grad-CAM.
    case guidedGradcam = "guided-gradcam"

    public static var allNames: [String] { allCases.map(\.rawValue) }

    /// Whether the method needs a backward pass to the explained layer.
    var needsLayerGradients: Bool {
        switch self {
        case .gradcam, .gradcamPlusPlus, .xgradcam, .hirescam, .layercam, .guidedGradcam: true
        case .eigencam, .scorecam, .cam, .guidedBackprop: false
        }
    }

    /// Whether the method backpropagates to the input through guided ReLUs.
    public var isGuided: Bool { self == .guidedBackprop || self == .guidedGradcam }

    /// Whether the result depends on the explained layer.
    public var usesLayer: Bool { self != .guidedBackprop }
}
