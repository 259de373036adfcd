import Foundation
import PackagePlugin

/// Compiles text files into the binary as string constants, so the server is one file:
/// `openapi.yaml` (package root) and the demo page (`Sources/Service/Web/index.html`).
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let files: [(symbol: String, url: URL)] = [
            ("OpenAPIDocument.yaml", root.appending(path: "openapi.yaml")),
            ("DemoPage.html", root.appending(path: "Sources/Service/Web/index.html")),
        ]
        let output = context.pluginWorkDirectoryURL.appending(path: "Embedded.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.map { $0.url.lastPathComponent }.joined(separator: ", "))",
                executable: try context.tool(named: "embed").url,
                arguments: [output.path] + files.map { "\($0.symbol)=\($0.url.path)" },
                inputFiles: files.map(\.url),
                outputFiles: [output])
        ]
    }
}
