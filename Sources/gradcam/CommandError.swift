/// A command's work failed (a file it cannot read or write, a model not downloaded): not a
/// usage mistake, so ArgumentParser prints the message alone, without the usage text that a
/// `ValidationError` brings, and exits with status 1.
struct CommandError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
