extension Image {
    /// The plane drawn through `colormap`: pixel (x, y) is `colormap.color(for: plane[x, y])`.
    /// With `.gray` this is the plane as a gray image, `Int(255 * v)` per channel.
    public init(_ plane: FloatPlane, colormap: Colormap = .default) {
        let count = plane.values.count * 3
        let table = colormap.table
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { output, initialized in
            plane.values.withUnsafeBufferPointer { values in
                table.withUnsafeBufferPointer { table in
                    for (i, value) in values.enumerated() {
                        let entry = Colormap.index(for: value) * 3
                        output[3 * i] = table[entry]
                        output[3 * i + 1] = table[entry + 1]
                        output[3 * i + 2] = table[entry + 2]
                    }
                }
            }
            initialized = count
        }
        self.init(width: plane.width, height: plane.height, pixels: pixels)
    }
}
