import Explain
import Imaging
import Models

/// Where a map points in the input image: its peak and the box of its main region.
public enum Localization {
    /// The largest side the map is upsampled to for locating; bigger regions are located
    /// at this resolution and the coordinates scaled up.
    static let maximumSide = 1024

    /// The fraction of the map's maximum a pixel must reach to belong to the box's region:
    /// the API's `box` uses one half.
    public static let defaultThreshold: Float = 0.5

    /// What `locate` finds.
    public struct Located: Sendable, Equatable {
        /// The map's maximum, in image pixels.
        public var peak: Point
        /// The bounding box of the largest region at or above the threshold, in image pixels.
        public var box: Region
        /// The mean of the map (0...1) over that region's pixels.
        public var strength: Float
    }

    /// The peak (the maximum of the map upsampled, bilinear, over `region`) and the bounding
    /// box of the largest 8-connected region at or above `threshold` (0...1] times that
    /// maximum, in image pixels, with the region's mean value. Nil for a zero map.
    public static func locate(_ heatmap: Heatmap, in region: Region, threshold: Float = defaultThreshold) -> Located? {
        guard !heatmap.isZero, region.width > 0, region.height > 0 else { return nil }
        let factor = max(1, Double(max(region.width, region.height)) / Double(maximumSide))
        let width = max(1, Int((Double(region.width) / factor).rounded()))
        let height = max(1, Int((Double(region.height) / factor).rounded()))
        let map = heatmap.upsampled(width: width, height: height).values
        guard let top = map.indices.max(by: { map[$0] < map[$1] }) else { return nil }
        let found = largestRegion(map, width: width, height: height, threshold: map[top] * threshold)
        let box = found.box
        func scaleX(_ x: Int) -> Int { region.x + min(region.width - 1, Int(Double(x) * Double(region.width) / Double(width))) }
        func scaleY(_ y: Int) -> Int { region.y + min(region.height - 1, Int(Double(y) * Double(region.height) / Double(height))) }
        let peak = Point(x: scaleX(top % width) , y: scaleY(top / width))
        let x0 = scaleX(box.x), y0 = scaleY(box.y)
        let x1 = region.x + min(region.width, Int((Double(box.x + box.width) * Double(region.width) / Double(width)).rounded(.up)))
        let y1 = region.y + min(region.height, Int((Double(box.y + box.height) * Double(region.height) / Double(height)).rounded(.up)))
        return Located(peak: peak, box: Region(x: x0, y: y0, width: x1 - x0, height: y1 - y0), strength: found.mean)
    }

    /// Bounding box of the largest 8-connected component of `map >= threshold`, and the mean
    /// of `map` over the component.
    static func largestRegion(_ map: [Float], width: Int, height: Int, threshold: Float) -> (box: Region, mean: Float) {
        var seen = [Bool](repeating: false, count: map.count)
        var best = (area: 0, sum: 0.0, box: Region(x: 0, y: 0, width: 0, height: 0))
        var stack: [Int] = []
        for start in map.indices where !seen[start] && map[start] >= threshold {
            var area = 0, sum = 0.0, minX = width, minY = height, maxX = 0, maxY = 0
            seen[start] = true
            stack.append(start)
            while let i = stack.popLast() {
                area += 1
                sum += Double(map[i])
                let x = i % width, y = i / width
                minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
                for dy in -1...1 {
                    for dx in -1...1 {
                        let nx = x + dx, ny = y + dy
                        guard nx >= 0, nx < width, ny >= 0, ny < height else { continue }
                        let j = ny * width + nx
                        if !seen[j] && map[j] >= threshold {
                            seen[j] = true
                            stack.append(j)
                        }
                    }
                }
            }
            if area > best.area {
                best = (area, sum, Region(x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1))
            }
        }
        return (best.box, best.area > 0 ? Float(best.sum / Double(best.area)) : 0)
    }
}
