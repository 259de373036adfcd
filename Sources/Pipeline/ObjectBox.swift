import Models

/// The object's box for the pointing game: `box=x0,y0,x1,y1` in the input image's pixels
/// (after EXIF orientation), `x0 <= x < x1`, `y0 <= y < y1`.
public struct ObjectBox: Sendable, Equatable {
    public var x0: Int
    public var y0: Int
    public var x1: Int
    public var y1: Int

    /// Parses `x0,y0,x1,y1` (non-negative integers, `x0 < x1`, `y0 < y1`).
    public init(parsing text: String) throws(ModelError) {
        let fields = text.split(separator: ",", omittingEmptySubsequences: false)
        let values = fields.compactMap { Int($0) }
        guard fields.count == 4, values.count == 4, values.allSatisfy({ $0 >= 0 }), values[0] < values[2], values[1] < values[3] else {
            let got = fields.count != 4 ? "\(fields.count) values" : values.count != 4 ? "a value that is not an integer" : "\(values.map(String.init).joined(separator: ","))"
            throw .invalidRequest("box must be x0,y0,x1,y1: four non-negative integers (image pixels) with x0 < x1 and y0 < y1; got \(got)")
        }
        (x0, y0, x1, y1) = (values[0], values[1], values[2], values[3])
    }

    var text: String { "\(x0),\(y0),\(x1),\(y1)" }

    /// The input pixels (`width x height`, row-major) whose centres fall in the box, where the
    /// input shows `region` of an `image`-sized picture. Throws when the box leaves the image
    /// or misses the region.
    func target(image: ImageSize, region: Region, width: Int, height: Int) throws(ModelError) -> [Bool] {
        guard x1 <= image.width, y1 <= image.height else {
            throw .invalidRequest("box \(text) lies outside the \(image.width) x \(image.height) image")
        }
        var target = [Bool](repeating: false, count: width * height)
        for v in 0..<height {
            let y = Double(region.y) + (Double(v) + 0.5) * Double(region.height) / Double(height)
            guard y >= Double(y0) && y < Double(y1) else { continue }
            for u in 0..<width {
                let x = Double(region.x) + (Double(u) + 0.5) * Double(region.width) / Double(width)
                target[v * width + u] = x >= Double(x0) && x < Double(x1)
            }
        }
        guard target.contains(true) else {
            throw .invalidRequest(
                "box \(text) misses the part of the image the model sees (x \(region.x)..<\(region.x + region.width), y \(region.y)..<\(region.y + region.height))")
        }
        return target
    }
}
