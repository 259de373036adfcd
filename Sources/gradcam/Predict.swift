import ArgumentParser
import Foundation
import Models
import Pipeline

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Classify an image: the top predictions with their scores.")

    @OptionGroup var model: ModelOptions

    @Option(help: "The image (PNG or JPEG).")
    var input: String

    @Option(help: "How many predictions to list.")
    var top = 5

    @Option(help: "text or json.")
    var format: OutputFormat = .text

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

    func validate() throws {
        let range = ExplainOptions.topRange
        guard range.contains(top) else { throw ValidationError("--top must be between \(range.lowerBound) and \(range.upperBound)") }
    }

    func run() throws {
        let loaded = try model.load()
        let session = ExplainSession(threads: model.threads)
        let (document, _) = try session.predict(try readInput(input), model: loaded, top: top)
        switch format {
        case .json:
            print(try DocumentEncoding.string(document))
        case .text:
            print("\(loaded.name): \(document.image.width)x\(document.image.height) image")
            for p in document.predictions {
                print(String(format: "%6.4f  logit %8.4f  %5d  %@", p.score, p.logit, p.classIndex, p.label))
            }
        }
    }
}
