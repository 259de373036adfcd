/// Text that came from a client, as error messages quote it.
public enum ClientText {
    /// The most characters of client text an error message repeats.
    public static let quoteLimit = 64

    /// `text` in single quotes, cut to its first ``quoteLimit`` characters (marked
    /// with `…` and the full length in bytes) when longer. Every message that names
    /// client input goes through this, so an answer never echoes a huge input back:
    /// a 1 MB model name would otherwise come back whole, an amplifier for anyone
    /// and a cost for the server.
    public static func quoted(_ text: some StringProtocol) -> String {
        guard let cut = text.index(text.startIndex, offsetBy: quoteLimit, limitedBy: text.endIndex), cut != text.endIndex else {
            return "'\(text)'"
        }
        return "'\(text[..<cut])…' (\(text.utf8.count) bytes)"
    }
}
