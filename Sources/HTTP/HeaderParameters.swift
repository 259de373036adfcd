/// Parses field values of the form `value; name=token; name="quoted string"`,
/// the shape of `Content-Type` and `Content-Disposition` (RFC 9110 §5.6.6).
enum HeaderParameters {
    /// The leading value (lowercased) and the parameters (names lowercased, the first
    /// of a repeated name kept), or `nil` when the syntax is broken.
    ///
    /// In quoted strings, `\"` and `\\` are unescaped and any other backslash is kept
    /// as it is, so that Windows paths sent unescaped as filenames survive.
    static func parse(_ text: String) -> (value: String, parameters: [String: String])? {
        let bytes = Array(text.utf8)
        var index = 0
        func skipWhitespace() {
            while index < bytes.count, Syntax.isWhitespace(bytes[index]) { index += 1 }
        }
        func token(allowingSlash: Bool) -> String? {
            let start = index
            while index < bytes.count, Syntax.isTokenByte(bytes[index]) || (allowingSlash && bytes[index] == UInt8(ascii: "/")) {
                index += 1
            }
            return index > start ? String(decoding: bytes[start..<index].map(asciiLowercase), as: UTF8.self) : nil
        }
        func quotedString() -> String? {
            index += 1
            var value: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return String(decoding: value, as: UTF8.self)
                case UInt8(ascii: "\\") where index + 1 < bytes.count && (bytes[index + 1] == UInt8(ascii: "\"") || bytes[index + 1] == UInt8(ascii: "\\")):
                    value.append(bytes[index + 1])
                    index += 2
                default:
                    guard Syntax.isFieldValueByte(byte) else { return nil }
                    value.append(byte)
                    index += 1
                }
            }
            return nil
        }

        skipWhitespace()
        guard let value = token(allowingSlash: true) else { return nil }
        var parameters: [String: String] = [:]
        while true {
            skipWhitespace()
            guard index < bytes.count else { return (value, parameters) }
            guard bytes[index] == UInt8(ascii: ";") else { return nil }
            index += 1
            skipWhitespace()
            // A trailing ";" with nothing after it is tolerated.
            guard index < bytes.count else { return (value, parameters) }
            guard let name = token(allowingSlash: false), index < bytes.count, bytes[index] == UInt8(ascii: "=") else {
                return nil
            }
            index += 1
            let parameterValue: String?
            if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                parameterValue = quotedString()
            } else {
                let start = index
                while index < bytes.count, Syntax.isTokenByte(bytes[index]) { index += 1 }
                parameterValue = index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
            }
            guard let parameterValue else { return nil }
            if parameters[name] == nil {
                parameters[name] = parameterValue
            }
        }
    }
}
