/// Correlation coefficients between two equally long vectors, in Double.
public enum Correlation {
    /// Pearson's r: `Σ(a−ā)(b−b̄) / √(Σ(a−ā)² Σ(b−b̄)²)`; nil when either vector is constant
    /// (where numpy's `corrcoef` gives NaN) or the lengths differ or are below 2.
    public static func pearson(_ a: [Double], _ b: [Double]) -> Double? {
        guard a.count == b.count, a.count >= 2 else { return nil }
        let n = Double(a.count)
        let meanA = a.reduce(0, +) / n, meanB = b.reduce(0, +) / n
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in a.indices {
            let x = a[i] - meanA, y = b[i] - meanB
            ab += x * y
            aa += x * x
            bb += y * y
        }
        guard aa > 0, bb > 0 else { return nil }
        return max(-1, min(1, ab / (aa * bb).squareRoot()))
    }

    /// Spearman's ρ as `scipy.stats.spearmanr` computes it: Pearson's r of the ranks, ties
    /// given their average rank; nil when either vector is constant.
    public static func spearman(_ a: [Float], _ b: [Float]) -> Double? {
        guard a.count == b.count else { return nil }
        return pearson(ranks(a), ranks(b))
    }

    /// 1-based ranks, ties sharing the mean of the ranks they span (`scipy.stats.rankdata`).
    static func ranks(_ values: [Float]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
            let rank = Double(start + end + 1) / 2  // mean of start+1 ... end
            for k in start..<end { ranks[order[k]] = rank }
            start = end
        }
        return ranks
    }
}
