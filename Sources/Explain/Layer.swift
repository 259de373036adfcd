import Tensor

/// A tensor a map can be computed at: a rank-4 feature map of batch 1 the scores depend on,
/// `[1, C, H, W]` or channels-last `[1, H, W, C]` as `layout` says.
public struct Layer: Sendable, Hashable {
    public let value: ValueID
    /// The tensor's name in the model.
    public let name: String
    /// The name of the node producing it (the input's name for the model input).
    public let node: String
    /// The producing operator type ("input" for the model input).
    public let op: String
    /// In `layout`'s order.
    public let shape: [Int]
    public let layout: Layout

    public var channels: Int { shape[layout.axes.channels] }
    public var height: Int { shape[layout.axes.height] }
    public var width: Int { shape[layout.axes.width] }
}
