import FuzzSupport
import Pipeline

/// Fuzzes `LabelStudioConfig.parse`, which reads the labeling config Label Studio sends to
/// the ML backend's `setup` and `predict` (its own small tag scanner: no DTD, no external
/// entities, size and depth caps).
///
/// Invariants on success: no more labels than the text has bytes, and the config written back
/// as XML (`xml`, what a project is created with) parses to the same config.
func fuzzLabelStudioConfig(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let text = String(decoding: fuzzInput(data, count), as: UTF8.self)
    guard let config = try? LabelStudioConfig.parse(text) else { return 0 }
    let labels = (config.rectangles?.labels.count ?? 0) + (config.brushes?.labels.count ?? 0)
    invariant(labels <= text.utf8.count, "\(labels) labels from \(text.utf8.count) bytes")
    let again = try? LabelStudioConfig.parse(config.xml)
    invariant(again == config, "the config written back did not parse to itself: \(config.xml)")
    return 0
}
