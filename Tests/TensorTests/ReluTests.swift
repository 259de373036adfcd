import Testing
@testable import Tensor

@Test func reluClampsNegatives() throws {
    var outputs = [Tensor.empty]
    try Relu().forward([Tensor(shape: [3], floats: [-1, 0, 2])], into: &outputs, workspace: Workspace())
    #expect(outputs[0].floats == [0, 0, 2])
}

/// The VJP under each rectifier rule, for a value that is positive, zero and negative going
/// forward, each with a positive and a negative incoming gradient: deconvolution passes
/// `max(dy, 0)` whatever the forward sign (Captum's `Deconvolution`: `relu(grad_output)`).
@Test(arguments: [
    (RectifierRule.standard, [Float](arrayLiteral: 2, -3, 0, 0, 0, 0)),
    (.guided, [2, 0, 0, 0, 0, 0]),
    (.deconvolution, [2, 0, 2, 0, 2, 0]),
])
func reluGradientUnderEachRule(_ rule: RectifierRule, _ expected: [Float]) throws {
    let x = Tensor(shape: [6], floats: [1, 1, 0, 0, -1, -1])
    var outputs = [Tensor.empty]
    try Relu().forward([x], into: &outputs, workspace: Workspace())
    let dy = Tensor(shape: [6], floats: [2, -3, 2, -3, 2, -3])
    let context = BackwardContext(rule: rule, workspace: Workspace(), inputShapes: [[6]])
    let dx = try Relu().backward(dy, inputs: [x], outputs: outputs, wrt: [0], context: context)
    #expect(dx[0].floats == expected)
}
