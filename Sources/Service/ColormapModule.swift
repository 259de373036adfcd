import Imaging

/// The demo page's `colormaps.js`, written from Imaging's colormap tables when first served:
/// the page colours its overlay with exactly the tables the server colours heatmaps with,
/// and the tables have one home (`Sources/Imaging/ColormapTables.swift`).
enum ColormapModule {
    /// Its name under `/static/`, as the page's modules import it.
    static let fileName = "colormaps.js"

    /// `export const COLORMAP_TABLES`: each colormap's name and its 768-byte RGB table.
    static let text: String = {
        var lines = [
            "// Written by the server from its colormap tables (Sources/Imaging/ColormapTables.swift).",
            "",
            "/** Colormap name -> its RGB table (768 bytes), as the server colours heatmaps. */",
            "export const COLORMAP_TABLES = Object.freeze({",
        ]
        for colormap in Colormap.allCases {
            lines.append("  \(colormap.rawValue): new Uint8Array([\(colormap.table.map(String.init).joined(separator: ", "))]),")
        }
        return (lines + ["});"]).joined(separator: "\n") + "\n"
    }()
}
