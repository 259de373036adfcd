import Foundation

/// The progress of `gradcam batch` on standard error: on a terminal, one line redrawn in
/// place four times a second; otherwise a plain line every 5 seconds (logs, CI).
///
///     [###########---------------]  412/1000  41%  27.5 images/s  ETA 0:21  failed 1
struct BatchProgress {
    let total: Int
    let terminal: Bool
    /// Seconds between two updates.
    var interval: Double { terminal ? 0.25 : 5 }
    static let barWidth = 28

    func show(_ counts: BatchRunner.Counts) {
        let line = Self.line(counts)
        print(terminal ? "\r\u{1B}[K\(line)" : line, terminator: terminal ? "" : "\n", to: &standardError)
    }

    /// The last update, ending the redrawn line.
    func finish(_ counts: BatchRunner.Counts) {
        show(counts)
        if terminal { print("", to: &standardError) }
    }

    /// The progress line; images/s counts the images explained in this run (not those skipped).
    static func line(_ c: BatchRunner.Counts) -> String {
        let fraction = c.total > 0 ? Double(c.processed) / Double(c.total) : 1
        let filled = Int((fraction * Double(barWidth)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: barWidth - filled)
        let rate = Self.rate(c)
        let remaining = c.total - c.processed
        let eta = rate > 0 ? clock(Double(remaining) / rate) : "-:--"
        var text = "[\(bar)] \(String(c.processed).leftPadded(to: String(c.total).count))/\(c.total) "
            + String(format: "%3d%%  %.1f images/s  ETA %@", Int(fraction * 100), rate, eta)
        if c.skipped > 0 { text += "  skipped \(c.skipped)" }
        if c.failed > 0 { text += "  failed \(c.failed)" }
        return text
    }

    /// The summary printed at the end.
    static func summary(_ c: BatchRunner.Counts, output: String) -> String {
        String(format: "done %d, skipped (already done) %d, failed %d of %d images in %.1f s (%.1f images/s); results in %@",
               c.done, c.skipped, c.failed, c.total, seconds(c.elapsed), rate(c), output)
    }

    static func rate(_ c: BatchRunner.Counts) -> Double {
        let s = seconds(c.elapsed)
        return s > 0 ? Double(c.done) / s : 0
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// `m:ss`, or `h:mm:ss` from an hour.
    static func clock(_ seconds: Double) -> String {
        let s = Int(min(seconds, 1e7).rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
