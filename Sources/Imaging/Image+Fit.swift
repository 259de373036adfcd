extension Image {
    /// The size of a `width x height` image scaled to have its longest side at most `maxSide`,
    /// aspect kept (each side rounded, at least 1); unchanged when it already fits.
    public static func fittedSize(width: Int, height: Int, maxSide: Int) -> (width: Int, height: Int) {
        precondition(width > 0 && height > 0 && maxSide > 0, "cannot fit \(width)x\(height) in \(maxSide)")
        let longest = max(width, height)
        guard longest > maxSide else { return (width, height) }
        let scale = Double(maxSide) / Double(longest)
        func side(_ value: Int) -> Int { min(maxSide, max(1, Int((Double(value) * scale).rounded()))) }
        return (side(width), side(height))
    }
}
