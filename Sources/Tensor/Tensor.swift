/// The element types the engine computes with. Integer tensors carry shapes and indices
/// (ONNX `Shape`, `Gather`, `Reshape`); booleans are stored as 0 and 1.
public enum ElementType: String, Sendable, Hashable, CustomStringConvertible {
    case float32, int64, bool

    public var description: String { rawValue }
}

/// A dense N-dimensional array in row-major (C) order; images are NCHW.
///
/// Float data lives in `floats`, int64 and bool data in `integers`; the other array is
/// empty. Storage is copy-on-write, so a tensor handed to several readers is not copied.
public struct Tensor: Sendable, Equatable {
    /// Extent of each dimension; `[]` is a scalar.
    public private(set) var shape: [Int]
    public private(set) var elementType: ElementType
    /// Elements of a `float32` tensor, `count` of them.
    public var floats: [Float]
    /// Elements of an `int64` or `bool` tensor, `count` of them.
    public var integers: [Int64]

    /// A float tensor; `floats.count` must equal the product of `shape`.
    public init(shape: [Int], floats: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        precondition(floats.count == shape.reduce(1, *), "\(floats.count) values for shape \(shape)")
        self.shape = shape
        self.elementType = .float32
        self.floats = floats
        self.integers = []
    }

    /// An integer or boolean tensor; `integers.count` must equal the product of `shape`.
    public init(shape: [Int], integers: [Int64], elementType: ElementType = .int64) {
        precondition(elementType != .float32, "use init(shape:floats:) for float32")
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        precondition(integers.count == shape.reduce(1, *), "\(integers.count) values for shape \(shape)")
        self.shape = shape
        self.elementType = elementType
        self.floats = []
        self.integers = integers
    }

    /// A float tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, floats: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// A float tensor filled with `value`.
    public static func filled(_ shape: [Int], with value: Float) -> Tensor {
        Tensor(shape: shape, floats: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// An empty float tensor, the starting state of a reusable buffer.
    public static let empty = Tensor(shape: [0], floats: [])

    /// Number of elements: the product of `shape` (1 for a scalar).
    public var count: Int { shape.reduce(1, *) }
    public var rank: Int { shape.count }

    /// Makes this tensor a `float32` tensor of `shape`, reusing its storage when the
    /// element count is unchanged. The contents are unspecified afterwards unless
    /// `zeroed` is set: callers overwrite every element.
    public mutating func reset(shape newShape: [Int], zeroed: Bool = false) {
        let n = newShape.reduce(1, *)
        if elementType != .float32 {
            integers = []
            elementType = .float32
        }
        if floats.count != n {
            floats = [Float](repeating: 0, count: n)
        } else if zeroed {
            floats.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
        shape = newShape
    }

    /// Makes this tensor an integer tensor of `shape` holding `values`.
    public mutating func reset(shape newShape: [Int], integers values: [Int64], elementType type: ElementType = .int64) {
        self = Tensor(shape: newShape, integers: values, elementType: type)
    }

    /// The same elements viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "cannot view \(shape) as \(newShape)")
        var copy = self
        copy.shape = newShape
        return copy
    }

    /// Adds `other` elementwise; shapes must match (gradients reaching one value by two paths).
    public mutating func add(_ other: Tensor) {
        precondition(shape == other.shape, "adding \(other.shape) to \(shape)")
        floats.withUnsafeMutableBufferPointer { a in
            other.floats.withUnsafeBufferPointer { b in
                for i in a.indices { a[i] += b[i] }
            }
        }
    }

    /// The elements as `Int` (for int64 tensors holding shapes, axes or indices).
    public var intValues: [Int] {
        elementType == .float32 ? floats.map { Int($0) } : integers.map { Int($0) }
    }

    /// The first element as a Float, whatever the element type (for scalar parameters).
    public var scalarValue: Float {
        elementType == .float32 ? floats[0] : Float(integers[0])
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor<\(elementType)>\(shape)" }
}
