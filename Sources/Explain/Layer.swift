import Tensor

/// A tensor a map can be computed at: a `[1, C, H, W]` feature map the scores depend on.
public struct Layer: Sendable, Hashable {
    public let value: ValueID
    /// The tensor's name in the model.
    public let name: String
    /// The name of the node producing it (the input's name for the model input).
    public let node: String
    /// The producing operator type ("input" for the model input).
    public let op: String
    public let shape: [Int]

    public var channels: Int { shape[1] }
    public var height: Int { shape[2] }
    public var width: Int { shape[3] }
}
