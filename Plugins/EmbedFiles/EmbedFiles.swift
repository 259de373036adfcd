import Foundation
import PackagePlugin

/// Compiles text files into the binary as string constants, so the server is one file:
/// `openapi.yaml` (package root) as `OpenAPIDocument.yaml`, and every file of the demo page
/// (`Sources/Service/Web/`) as an entry of `DemoPageFiles.contents`, keyed by file name.
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let root = context.package.directoryURL
        let web = root.appending(path: "Sources/Service/Web")
        let page = try FileManager.default.contentsOfDirectory(atPath: web.path)
            .filter { !$0.hasPrefix(".") }
            .sorted()
            .map { (symbol: "DemoPageFiles.contents[\($0)]", url: web.appending(path: $0)) }
        let files = [(symbol: "OpenAPIDocument.yaml", url: root.appending(path: "openapi.yaml"))] + page
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
