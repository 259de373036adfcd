import Testing
@testable import ONNX

@Test func generatedModelProtoRoundTrips() throws {
    var model = Onnx_ModelProto()
    model.irVersion = 8
    let bytes = try model.serializedBytes() as [UInt8]
    #expect(try Onnx_ModelProto(serializedBytes: bytes).irVersion == 8)
}
