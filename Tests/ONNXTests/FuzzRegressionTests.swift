import Foundation
import Testing
@testable import ONNX

/// Inputs that crashed the importer under `script/fuzz onnx`, kept so they stay errors.
@Suite struct FuzzRegressionTests {
    /// Loads `bytes` as a model file in a fresh folder.
    func load(_ bytes: [UInt8]) throws -> ImportedModel {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("onnx-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("model.onnx").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try ModelImporter.load(path: path)
    }

    /// An initializer whose dimensions multiply past `Int.max` trapped while its element
    /// count was computed (fuzzer input crash-100a76e0d95c751c86477fb5282255fc01031c3f).
    @Test func overflowingInitializerShapeIsRefused() throws {
        let hex = [
            "080e120966757a7a2d736565643ac2010a110a01780a017712016d22064d61744d756c0a2a12016b2208436f6e737461",
            "6e742a1b0a0c76616c75655f666c6f6174733d0000007712016d22064d61744d756c0a2a12016b2208436f6e7374616e",
            "742a1b0a0c76616c75655f666c6f6174733d0000003f3d0000803ea001060c74797065642d6d61746d756c2a1b080208",
            "0210012210a10000803f000000c00000003f000040404201775a130a0178120e0a0c080112080a0208010a0208026213",
            "0a0179120e0a0c080112080a0208010a02080242040a001007",
        ].joined()
        let bytes = stride(from: 0, to: hex.count, by: 2).map { offset in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
        #expect { try load(bytes) } throws: { "\($0)".contains("has more elements than") }
    }

    /// The same overflow in each place a tensor's data can come from: `raw_data` lifted from
    /// the file, typed values, and a `Constant` node's tensor; and in `raw_data`'s byte count
    /// (2^61 float elements are 2^63 bytes).
    @Test(arguments: [
        ([Int64(1) << 32, Int64(1) << 32], true),
        ([Int64(1) << 40, Int64(1) << 40, 0], false),
        ([Int64(1) << 61], true),
    ])
    func overflowingShapesAreRefused(dims: [Int64], raw: Bool) throws {
        var weights = Onnx_TensorProto()
        weights.name = "w"
        weights.dims = dims
        weights.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        if raw { weights.rawData = Data([0, 0, 128, 63]) } else { weights.floatData = [1] }
        var constant = Onnx_NodeProto()
        constant.opType = "Constant"
        constant.output = ["w"]
        var value = Onnx_AttributeProto()
        value.name = "value"
        value.type = .tensor
        value.t = weights
        constant.attribute = [value]

        var asInitializer = Onnx_ModelProto()
        asInitializer.opsetImport = [.with { $0.version = 13 }]
        asInitializer.graph.initializer = [weights]
        var asConstant = asInitializer
        asConstant.graph.initializer = []
        asConstant.graph.node = [constant]
        for model in [asInitializer, asConstant] {
            let bytes: [UInt8] = try model.serializedBytes()
            #expect { try load(bytes) } throws: { error in
                "\(error)".contains(dims[0] == 1 << 61 ? "bytes of data for" : "has more elements than")
            }
        }
    }
}
