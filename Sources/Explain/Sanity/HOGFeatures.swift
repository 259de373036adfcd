import Foundation

/// Histograms of oriented gradients of a grayscale image, as `skimage.feature.hog` computes
/// them with its defaults: 9 unsigned orientations, 8x8-pixel cells, 3x3-cell blocks,
/// L2-Hys block normalization, no `transform_sqrt`, the feature vector flattened
/// (block row, block column, cell row, cell column, orientation).
///
/// Gradients are central differences (`g_row[r] = I[r+1] − I[r−1]`, zero on the border
/// rows and columns); a pixel adds its magnitude `hypot(g_row, g_col)` to the bin
/// `[20·i, 20·(i+1))` holding `atan2(g_row, g_col)` in degrees modulo 180; each cell's
/// histogram is divided by its 64 pixels; only whole cells count. A block `v` becomes
/// `w = min(v / √(Σv² + ε²), 0.2)`, then `w / √(Σw² + ε²)`, ε = 1e-5.
public enum HOGFeatures {
    public static let orientations = 9
    public static let cell = 8
    public static let block = 3

    /// nil when the image holds fewer than 3x3 whole cells (24x24 pixels).
    public static func features(_ image: [Float], width: Int, height: Int) -> [Double]? {
        let cellRows = height / cell, cellColumns = width / cell
        guard cellRows >= block, cellColumns >= block, image.count == width * height else { return nil }
        let pixel = { (r: Int, c: Int) in Double(image[r * width + c]) }
        var histogram = [Double](repeating: 0, count: cellRows * cellColumns * orientations)
        let binWidth = 180.0 / Double(orientations)
        for r in 0..<(cellRows * cell) {
            for c in 0..<(cellColumns * cell) {
                let gRow = r == 0 || r == height - 1 ? 0 : pixel(r + 1, c) - pixel(r - 1, c)
                let gColumn = c == 0 || c == width - 1 ? 0 : pixel(r, c + 1) - pixel(r, c - 1)
                let magnitude = hypot(gRow, gColumn)
                guard magnitude > 0 else { continue }
                var angle = atan2(gRow, gColumn) * 180 / .pi
                angle = angle.truncatingRemainder(dividingBy: 180)
                if angle < 0 { angle += 180 }
                let bin = min(Int(angle / binWidth), orientations - 1)
                histogram[((r / cell) * cellColumns + c / cell) * orientations + bin] += magnitude
            }
        }
        let cellArea = Double(cell * cell)
        for i in histogram.indices { histogram[i] /= cellArea }

        let epsilon = 1e-5
        var features: [Double] = []
        features.reserveCapacity((cellRows - block + 1) * (cellColumns - block + 1) * block * block * orientations)
        for br in 0...(cellRows - block) {
            for bc in 0...(cellColumns - block) {
                var v: [Double] = []
                for r in br..<(br + block) {
                    let start = (r * cellColumns + bc) * orientations
                    v += histogram[start..<(start + block * orientations)]
                }
                let norm = (v.reduce(0) { $0 + $1 * $1 } + epsilon * epsilon).squareRoot()
                let clipped = v.map { min($0 / norm, 0.2) }
                let renorm = (clipped.reduce(0) { $0 + $1 * $1 } + epsilon * epsilon).squareRoot()
                features += clipped.map { $0 / renorm }
            }
        }
        return features
    }

    /// The HOG similarity of Adebayo et al.: Pearson's r of the two images' HOG features.
    public static func similarity(_ a: [Float], _ b: [Float], width: Int, height: Int) -> Double? {
        guard let x = features(a, width: width, height: height), let y = features(b, width: width, height: height) else { return nil }
        return Correlation.pearson(x, y)
    }
}
