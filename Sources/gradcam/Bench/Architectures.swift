import Foundation
import Tensor

/// torchvision's classifiers, rebuilt in code with random weights (same layers and shapes
/// as `torchvision.models.vgg16()` and `alexnet()` at 224x224, whose adaptive average
/// pools are identities at that size and are left out).
enum Architectures {
    /// VGG16: 13 3x3 convolutions in 5 blocks with 2x2 max pooling, then 4096-4096-1000.
    static func vgg16() throws -> Graph {
        var b = GraphBuilder()
        var x = b.input()
        let blocks = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]
        var channels = 3
        for (i, block) in blocks.enumerated() {
            for (j, out) in block.enumerated() {
                x = try b.conv(x, channels, out, kernel: 3, pad: 1, name: "conv\(i + 1)_\(j + 1)")
                channels = out
            }
            x = try b.maxPool(x, kernel: 2, stride: 2, name: "pool\(i + 1)")
        }
        return classifier(&b, x, features: 512 * 7 * 7)
    }

    /// AlexNet (torchvision's one-tower variant): 11x11/4, 5x5, three 3x3 convolutions,
    /// 3x3/2 max pooling, then 4096-4096-1000.
    static func alexnet() throws -> Graph {
        var b = GraphBuilder()
        var x = b.input()
        x = try b.conv(x, 3, 64, kernel: 11, stride: 4, pad: 2, name: "conv1")
        x = try b.maxPool(x, kernel: 3, stride: 2, name: "pool1")
        x = try b.conv(x, 64, 192, kernel: 5, pad: 2, name: "conv2")
        x = try b.maxPool(x, kernel: 3, stride: 2, name: "pool2")
        x = try b.conv(x, 192, 384, kernel: 3, pad: 1, name: "conv3")
        x = try b.conv(x, 384, 256, kernel: 3, pad: 1, name: "conv4")
        x = try b.conv(x, 256, 256, kernel: 3, pad: 1, name: "conv5")
        x = try b.maxPool(x, kernel: 3, stride: 2, name: "pool5")
        return classifier(&b, x, features: 256 * 6 * 6)
    }

    /// The head both end with: flatten the `features` values of `x`, then fully connected
    /// layers of 4096 (ReLU), 4096 (ReLU) and 1000 scores; the finished graph.
    private static func classifier(_ b: inout GraphBuilder, _ x: ValueID, features: Int) -> Graph {
        var x = b.flatten(x)
        x = b.linear(x, features, 4096, relu: true, name: "fc6")
        x = b.linear(x, 4096, 4096, relu: true, name: "fc7")
        b.output(b.linear(x, 4096, 1000, relu: false, name: "fc8"))
        return b.graph
    }
}
