import Foundation
import Tensor

extension Tensor {
    /// Converts an ONNX `TensorProto`.
    ///
    /// Floating types (float, double, float16) become `float32`; integer types become
    /// `int64`; bool stays bool. Data comes from `raw` when the caller lifted `raw_data`
    /// out of the message, else from the message's `raw_data` or typed fields, or from an
    /// external file inside `directory` (the model's folder).
    init(proto: Onnx_TensorProto, raw: UnsafeRawBufferPointer? = nil, directory: String? = nil) throws {
        let name = proto.name.isEmpty ? "(unnamed)" : proto.name
        let shape = proto.dims.map(Int.init)
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw ONNXError.unsupportedTensor(name: name, reason: "negative dimension in \(shape)")
        }
        let count = try Self.elementCount(shape, name: name)
        let type = Onnx_TensorProto.DataType(rawValue: Int(proto.dataType)) ?? .undefined

        if proto.dataLocation == .external {
            guard let directory else {
                throw ONNXError.externalData(tensor: name, reason: "external data is only allowed for model files")
            }
            let data = try ExternalData.read(proto, directory: directory)
            self = try data.withUnsafeBytes { try Tensor.decode(rawBytes: $0, type: type, shape: shape, count: count, name: name) }
            return
        }
        if let raw {
            self = try Tensor.decode(rawBytes: raw, type: type, shape: shape, count: count, name: name)
            return
        }
        if proto.hasRawData {
            self = try proto.rawData.withUnsafeBytes { try Tensor.decode(rawBytes: $0, type: type, shape: shape, count: count, name: name) }
            return
        }
        func check(_ n: Int) throws {
            guard n == count else {
                throw ONNXError.unsupportedTensor(name: name, reason: "\(n) values for shape \(shape)")
            }
        }
        switch type {
        case .float:
            try check(proto.floatData.count)
            self.init(shape: shape, floats: proto.floatData)
        case .double:
            try check(proto.doubleData.count)
            self.init(shape: shape, floats: proto.doubleData.map { Float($0) })
        case .float16:
            try check(proto.int32Data.count)
            self.init(shape: shape, floats: proto.int32Data.map { Float(Float16(bitPattern: UInt16(truncatingIfNeeded: $0))) })
        case .int64:
            try check(proto.int64Data.count)
            self.init(shape: shape, integers: proto.int64Data)
        case .int32, .int16, .int8, .uint16, .uint8:
            try check(proto.int32Data.count)
            self.init(shape: shape, integers: proto.int32Data.map(Int64.init))
        case .uint32, .uint64:
            try check(proto.uint64Data.count)
            self.init(shape: shape, integers: proto.uint64Data.map { Int64(truncatingIfNeeded: $0) })
        case .bool:
            try check(proto.int32Data.count)
            self.init(shape: shape, integers: proto.int32Data.map { $0 != 0 ? 1 : 0 }, elementType: .bool)
        default:
            throw ONNXError.unsupportedTensor(name: name, reason: "element type \(type) is not supported; supported: \(Self.supportedTypes)")
        }
    }

    static let supportedTypes = "float, double, float16 (as float32); int8...int64, uint8...uint64 (as int64); bool"

    /// The number of elements of `shape`, multiplied in order with overflow checked: the
    /// dimensions come from the file, and the engine later multiplies the same ones in the
    /// same order unchecked, so a shape accepted here cannot overflow there.
    private static func elementCount(_ shape: [Int], name: String) throws -> Int {
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else {
                throw ONNXError.unsupportedTensor(name: name, reason: "shape \(shape) has more elements than \(Int.max)")
            }
            count = product
        }
        return count
    }

    /// Decodes little-endian `raw_data` bytes of `type` into `count` elements of `shape`.
    private static func decode(
        rawBytes: UnsafeRawBufferPointer, type: Onnx_TensorProto.DataType, shape: [Int], count: Int, name: String
    ) throws -> Tensor {
        func load<T: FixedWidthInteger>(_: T.Type) throws -> [Int64] {
            try expect(MemoryLayout<T>.size)
            return (0..<count).map { Int64(T(littleEndian: rawBytes.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self))) }
        }
        func expect(_ size: Int) throws {
            let (expected, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow, rawBytes.count == expected else {
                throw ONNXError.unsupportedTensor(name: name, reason: "\(rawBytes.count) bytes of data for \(count) values of \(size) bytes (shape \(shape))")
            }
        }
        switch type {
        case .float:
            try expect(4)
            let floats = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: rawBytes)
                initialized = count
            }
            return Tensor(shape: shape, floats: floats)
        case .double:
            try expect(8)
            return Tensor(shape: shape, floats: (0..<count).map { Float(rawBytes.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self)) })
        case .float16:
            try expect(2)
            return Tensor(shape: shape, floats: (0..<count).map {
                Float(Float16(bitPattern: rawBytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)))
            })
        case .int64: return Tensor(shape: shape, integers: try load(Int64.self))
        case .int32: return Tensor(shape: shape, integers: try load(Int32.self))
        case .int16: return Tensor(shape: shape, integers: try load(Int16.self))
        case .int8: return Tensor(shape: shape, integers: try load(Int8.self))
        case .uint64: return Tensor(shape: shape, integers: try load(UInt64.self).map { Int64(truncatingIfNeeded: $0) })
        case .uint32: return Tensor(shape: shape, integers: try load(UInt32.self))
        case .uint16: return Tensor(shape: shape, integers: try load(UInt16.self))
        case .uint8: return Tensor(shape: shape, integers: try load(UInt8.self))
        case .bool: return Tensor(shape: shape, integers: try load(UInt8.self).map { $0 != 0 ? 1 : 0 }, elementType: .bool)
        default:
            throw ONNXError.unsupportedTensor(name: name, reason: "element type \(type) is not supported; supported: \(Self.supportedTypes)")
        }
    }
}
