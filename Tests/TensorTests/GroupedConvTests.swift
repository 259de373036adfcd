import Testing
@testable import Tensor

/// Depthwise and grouped convolutions (their own paths: `Depthwise`, `Conv.Plan.eachGroup`)
/// against the general path, one ungrouped im2col convolution per group on that group's
/// channels (their finite-difference checks are `ConvTests`').
@Suite struct GroupedConvTests {
    /// Depthwise shapes: channels not a multiple of 8, maps smaller than the kernel, stride 2
    /// on odd sizes, asymmetric and SAME pads, dilation, a channel multiplier, 5x5, 1x1 and 1-D.
    /// Each gives the window, X and W shapes (group = X's channels).
    func depthwiseConfigurations() throws -> [(Window, [Int], [Int])] {
        [
            (try Window(kernel: [3, 3], pads: [1, 1, 1, 1], op: "test"), [2, 5, 7, 7], [5, 1, 3, 3]),
            (try Window(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], op: "test"), [1, 9, 9, 9], [9, 1, 3, 3]),
            (try Window(kernel: [5, 5], strides: [2, 2], pads: [2, 2, 2, 2], op: "test"), [1, 3, 11, 10], [3, 1, 5, 5]),
            (try Window(kernel: [5, 5], pads: [2, 2, 2, 2], op: "test"), [1, 10, 3, 3], [10, 1, 5, 5]),
            (try Window(kernel: [3, 3], dilations: [2, 2], pads: [2, 2, 2, 2], op: "test"), [1, 4, 6, 5], [8, 1, 3, 3]),
            (try Window(kernel: [3, 3], strides: [2, 2], pads: [0, 1, 1, 0], op: "test"), [1, 3, 6, 5], [3, 1, 3, 3]),
            (try Window(kernel: [3, 3], strides: [2, 2], autoPad: .sameUpper, op: "test"), [1, 6, 8, 8], [6, 1, 3, 3]),
            (try Window(kernel: [3, 3], pads: [1, 1, 1, 1], op: "test"), [1, 7, 1, 1], [7, 1, 3, 3]),
            (try Window(kernel: [3, 2], strides: [1, 3], op: "test"), [1, 2, 4, 8], [2, 1, 3, 2]),
            (try Window(kernel: [1, 1], op: "test"), [1, 6, 3, 4], [6, 1, 1, 1]),
            (try Window(kernel: [3], strides: [2], pads: [1, 1], op: "test"), [1, 4, 9], [4, 1, 3]),
            // The kernels whose taps the C kernel unrolls: 3x3 and 5x5 whole, 7 and 9 wide by rows,
            // at strides 1 and 2, on maps wider than a vector; and a 7-wide kernel of 3 rows.
            (try Window(kernel: [3, 3], pads: [1, 1, 1, 1], op: "test"), [1, 3, 19, 21], [6, 1, 3, 3]),
            (try Window(kernel: [5, 5], strides: [2, 2], pads: [2, 2, 2, 2], op: "test"), [1, 2, 23, 20], [2, 1, 5, 5]),
            (try Window(kernel: [7, 7], pads: [3, 3, 3, 3], op: "test"), [1, 3, 14, 14], [3, 1, 7, 7]),
            (try Window(kernel: [7, 7], strides: [2, 2], pads: [3, 3, 3, 3], op: "test"), [1, 2, 15, 17], [2, 1, 7, 7]),
            (try Window(kernel: [9, 9], pads: [4, 4, 4, 4], op: "test"), [1, 2, 12, 11], [4, 1, 9, 9]),
            (try Window(kernel: [9, 9], strides: [2, 2], pads: [4, 4, 4, 4], op: "test"), [1, 2, 18, 18], [2, 1, 9, 9]),
            (try Window(kernel: [3, 7], dilations: [2, 1], pads: [2, 3, 2, 3], op: "test"), [1, 2, 10, 12], [2, 1, 3, 7]),
        ]
    }

    /// Grouped (not depthwise) shapes: ResNeXt-like 3x3 with many groups, ShuffleNet-v1-like
    /// 1x1 groups, and a group count the two threads do not share evenly.
    func groupedConfigurations() throws -> [(Window, Int, [Int], [Int])] {
        [
            (try Window(kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], op: "test"), 8, [2, 16, 9, 7], [24, 2, 3, 3]),
            (try Window(kernel: [1, 1], op: "test"), 4, [1, 12, 5, 5], [8, 3, 1, 1]),
            (try Window(kernel: [3, 3], pads: [1, 0, 1, 0], op: "test"), 3, [1, 6, 5, 6], [9, 2, 3, 3]),
        ]
    }

    /// Both kinds, with their groups.
    func configurations() throws -> [(Window, Int, [Int], [Int])] {
        try depthwiseConfigurations().map { ($0.0, $0.1[1], $0.1, $0.2) } + groupedConfigurations()
    }

    @Test func forwardMatchesTheGeneralPath() throws {
        var random = TestRandom(seed: 90)
        for (window, group, x, w) in try configurations() {
            try expectForwardMatchesPerGroup(window: window, group: group, x: x, w: w, random: &random)
        }
    }

    @Test func inputGradientMatchesTheGeneralPath() throws {
        var random = TestRandom(seed: 91)
        for (window, group, x, w) in try configurations() {
            try expectInputGradientMatchesPerGroup(window: window, group: group, x: x, w: w, random: &random)
        }
    }

    /// Y of the op with `group`, on one and two threads, with each fused activation or none,
    /// against the concatenation of the per-group ungrouped convolutions (then the activation's
    /// own operators).
    func expectForwardMatchesPerGroup(
        window: Window, group: Int, x xShape: [Int], w wShape: [Int], random: inout TestRandom,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let x = random.tensor(xShape), w = random.tensor(wShape), b = random.tensor([wShape[0]])
        for bias in [nil, b] {
            let expected = try concatenatingGroups(group, of: [(x, 1), (w, 0), (bias, 0)]) { parts in
                try forward(Conv(window: window), parts)[0]
            }
            let op = Conv(window: window, group: group)
            for threads in [1, 2] {
                let y = try forward(op, [x, w, bias], threads: threads)[0]
                #expect(y.shape == expected.shape, sourceLocation: sourceLocation)
                #expect(isClose(y.floats, expected.floats, tolerance: 1e-5),
                        "group \(group), \(xShape) * \(wShape), \(threads) threads", sourceLocation: sourceLocation)
                for activation in ActivationFusionTests.Activation.allCases {
                    var activated = [Tensor.empty]
                    try op.forward([x, w, bias], into: &activated, workspace: Workspace(threads: threads), activation: activation.fused)
                    #expect(isClose(activated[0].floats, try activation.apply(expected).floats, tolerance: 1e-5),
                            "\(activation): group \(group), \(xShape) * \(wShape)", sourceLocation: sourceLocation)
                }
            }
        }
    }

    /// dX of the op with `group`, on one and two threads, against the concatenation of the
    /// per-group ungrouped convolutions' dX.
    func expectInputGradientMatchesPerGroup(
        window: Window, group: Int, x xShape: [Int], w wShape: [Int], random: inout TestRandom,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let x = random.tensor(xShape), w = random.tensor(wShape)
        let op = Conv(window: window, group: group)
        let dy = random.tensor(try forward(op, [x, w])[0].shape)
        let expected = try concatenatingGroups(group, of: [(x, 1), (w, 0), (dy, 1)]) { parts in
            try backward(Conv(window: window), [parts[0], parts[1]], gradient: parts[2]!, wrt: [0])[0]
        }
        for threads in [1, 2] {
            let dx = try backward(op, [x, w], gradient: dy, wrt: [0], threads: threads)[0]
            #expect(dx.shape == xShape, sourceLocation: sourceLocation)
            #expect(isClose(dx.floats, expected.floats, tolerance: 1e-5),
                    "group \(group), \(xShape) * \(wShape), \(threads) threads", sourceLocation: sourceLocation)
        }
    }

    /// Runs `body` on group `g`'s share of each tensor (its block of the given axis: 1 for
    /// X and dY, 0 for W and B; nil stays nil), for each group, and concatenates the results
    /// along axis 1.
    func concatenatingGroups(_ group: Int, of tensors: [(Tensor?, axis: Int)], _ body: ([Tensor?]) throws -> Tensor) throws -> Tensor {
        let parts = try (0..<group).map { g in
            try body(tensors.map { tensor, axis in tensor.map { block(g, of: group, axis: axis, $0) } })
        }
        let images = parts[0].shape[0]
        var floats: [Float] = []
        for n in 0..<images {
            for part in parts {
                let size = part.count / images
                floats += part.floats[n * size ..< (n + 1) * size]
            }
        }
        let channels = parts.reduce(0) { $0 + $1.shape[1] }
        return Tensor(shape: [images, channels] + parts[0].shape.dropFirst(2), floats: floats)
    }

    /// Block `g` of `groups` equal blocks of `t` along `axis`.
    func block(_ g: Int, of groups: Int, axis: Int, _ t: Tensor) -> Tensor {
        let outer = t.shape[..<axis].reduce(1, *), size = t.shape[axis] / groups
        let inner = t.shape[(axis + 1)...].reduce(1, *)
        var floats: [Float] = []
        for o in 0..<outer {
            let start = (o * t.shape[axis] + g * size) * inner
            floats += t.floats[start ..< start + size * inner]
        }
        var shape = t.shape
        shape[axis] = size
        return Tensor(shape: shape, floats: floats)
    }
}
