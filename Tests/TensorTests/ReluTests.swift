import Testing
@testable import Tensor

@Test func reluClampsNegatives() throws {
    var outputs = [Tensor.empty]
    try Relu().forward([Tensor(shape: [3], floats: [-1, 0, 2])], into: &outputs, workspace: Workspace())
    #expect(outputs[0].floats == [0, 0, 2])
}
