/// The text of a fixed-size C `char` array (imported as a tuple), up to its first NUL.
func cString<Tuple>(_ characters: Tuple) -> String {
    withUnsafeBytes(of: characters) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
}
