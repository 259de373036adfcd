/// Percent-decoding of URL components and `application/x-www-form-urlencoded` data.
///
/// Decoding is lenient in the way the WHATWG URL Standard is: a `%` that is not
/// followed by two hex digits stays as it is, and bytes that do not form UTF-8 decode
/// to U+FFFD. A malformed query therefore never fails a request; it just reads oddly.
public enum URLEncoding {
    /// Decodes `%XX` escapes, and `+` as a space when `plusAsSpace` is set (query
    /// strings and form bodies use `+` for spaces; paths do not).
    public static func decode(_ bytes: some Collection<UInt8>, plusAsSpace: Bool) -> String {
        let input = Array(bytes)
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte == UInt8(ascii: "%"), index + 2 < input.count,
               let high = Syntax.hexDigitValue(input[index + 1]), let low = Syntax.hexDigitValue(input[index + 2]) {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(plusAsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes the UTF-8 bytes of a string.
    public static func decode(_ string: some StringProtocol, plusAsSpace: Bool) -> String {
        decode(Array(string.utf8), plusAsSpace: plusAsSpace)
    }

    /// Splits `a=1&b=x+y` into ordered, decoded `(name, value)` pairs.
    ///
    /// This is both the query-string syntax and the `application/x-www-form-urlencoded`
    /// body syntax. Empty pieces (`a=1&&b=2`) are skipped; a piece without `=` is a
    /// name with an empty value. Repeated names are kept, in order.
    public static func formItems(_ bytes: some Collection<UInt8>) -> [(name: String, value: String)] {
        bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).map { piece in
            if let equals = piece.firstIndex(of: UInt8(ascii: "=")) {
                return (
                    name: decode(piece[piece.startIndex..<equals], plusAsSpace: true),
                    value: decode(piece[piece.index(after: equals)...], plusAsSpace: true)
                )
            }
            return (name: decode(piece, plusAsSpace: true), value: "")
        }
    }

    /// Splits a query string or form body given as text.
    public static func formItems(_ string: some StringProtocol) -> [(name: String, value: String)] {
        formItems(Array(string.utf8))
    }
}
