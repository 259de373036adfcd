import ArgumentParser

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time the engine on VGG16 and AlexNet at 224x224 (random weights, no files needed).")

    func run() throws {
        throw ValidationError("bench is being written")
    }
}
