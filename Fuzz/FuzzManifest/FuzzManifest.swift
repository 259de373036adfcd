import Foundation
import FuzzSupport
import Models

/// Fuzzes `Manifest(data:path:)`, which reads `models/manifest.json` at start-up (a file an
/// operator edits by hand, or that `models/fetch` writes).
///
/// Invariants on success: model names are unique, every entry has a name and a file, and
/// parsing the same bytes again gives an equal manifest.
func fuzzManifest(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = Data(fuzzInput(data, count))
    guard let manifest = try? Manifest(data: bytes, path: "manifest.json") else { return 0 }
    let names = manifest.entries.map(\.name)
    invariant(Set(names).count == names.count, "repeated model names passed: \(names)")
    for entry in manifest.entries {
        invariant(!entry.name.isEmpty && !entry.file.isEmpty, "an entry without a name or file passed: \(entry)")
        invariant(manifest.entry(forFile: entry.file) != nil, "entry for '\(entry.file)' not found by its file")
        // What the registry does next with the entry; its checks must not trap either.
        _ = try? entry.preprocessing.applied(to: .imageNet()).validate()
    }
    invariant((try? Manifest(data: bytes, path: "manifest.json")) == manifest, "two parses of the same bytes differ")
    return 0
}
