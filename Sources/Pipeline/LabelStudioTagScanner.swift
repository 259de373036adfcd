/// The tags of an XML-like text, in order, with their attributes: enough to read a Label Studio
/// labeling config, and nothing that could expand. Comments, processing instructions and CDATA
/// sections are skipped; a `<!DOCTYPE …>` or any other declaration is refused (no entity can be
/// defined, so none is expanded); text between tags is ignored. In attribute values the five
/// predefined entities and numeric character references are decoded; any other `&name;` is
/// refused. Every step consumes input, so the scan is linear in the text's length.
struct TagScanner {
    struct Tag: Equatable {
        var name: String
        var attributes: [String: String]
        var closing: Bool
        var selfClosing: Bool
    }

    private let bytes: [UInt8]
    private var i = 0

    static func tags(_ bytes: [UInt8]) throws(LabelStudioError) -> [Tag] {
        var scanner = TagScanner(bytes: bytes)
        var tags: [Tag] = []
        while let tag = try scanner.next() { tags.append(tag) }
        return tags
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private mutating func next() throws(LabelStudioError) -> Tag? {
        while true {
            guard let open = bytes[i...].firstIndex(of: UInt8(ascii: "<")) else { return nil }
            i = open + 1
            if starts("!--") {
                try skip(past: "-->")
            } else if starts("![CDATA[") {
                try skip(past: "]]>")
            } else if starts("!") {
                throw .config("the labeling config has a declaration (<!…>, such as a DOCTYPE); none is accepted")
            } else if starts("?") {
                try skip(past: "?>")
            } else {
                return try tag()
            }
        }
    }

    private mutating func tag() throws(LabelStudioError) -> Tag {
        let closing = starts("/")
        if closing { i += 1 }
        let name = word()
        guard !name.isEmpty else { throw error("a tag without a name") }
        var attributes: [String: String] = [:]
        while true {
            skipSpace()
            guard i < bytes.count else { throw error("the tag <\(name)> is not closed") }
            if bytes[i] == UInt8(ascii: ">") {
                i += 1
                return Tag(name: name, attributes: attributes, closing: closing, selfClosing: false)
            }
            if starts("/>") {
                i += 2
                return Tag(name: name, attributes: attributes, closing: closing, selfClosing: true)
            }
            let key = word()
            guard !key.isEmpty else { throw error("an unexpected character in the tag <\(name)>") }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else { throw error("the attribute \(key) of <\(name)> has no value") }
            i += 1
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") else {
                throw error("the attribute \(key) of <\(name)> is not quoted")
            }
            let quote = bytes[i]
            guard let end = bytes[(i + 1)...].firstIndex(of: quote) else { throw error("the attribute \(key) of <\(name)> is not closed") }
            attributes[key] = try Self.decode(bytes[(i + 1)..<end])
            i = end + 1
        }
    }

    /// Decodes `&lt; &gt; &amp; &quot; &apos; &#N; &#xH;` in an attribute value.
    static func decode(_ raw: ArraySlice<UInt8>) throws(LabelStudioError) -> String {
        var out: [UInt8] = []
        var j = raw.startIndex
        while j < raw.endIndex {
            guard raw[j] == UInt8(ascii: "&") else {
                out.append(raw[j])
                j += 1
                continue
            }
            guard let semicolon = raw[j...].prefix(12).firstIndex(of: UInt8(ascii: ";")) else {
                throw .config("an '&' in an attribute value starts no entity; write &amp;")
            }
            let entity = String(decoding: raw[(j + 1)..<semicolon], as: UTF8.self)
            let predefined = ["lt": "<", "gt": ">", "amp": "&", "quot": "\"", "apos": "'"]
            if let text = predefined[entity] {
                out += Array(text.utf8)
            } else if entity.hasPrefix("#x"), let code = UInt32(entity.dropFirst(2), radix: 16), let scalar = Unicode.Scalar(code) {
                out += Array(String(scalar).utf8)
            } else if entity.hasPrefix("#"), let code = UInt32(entity.dropFirst()), let scalar = Unicode.Scalar(code) {
                out += Array(String(scalar).utf8)
            } else {
                throw .config("the entity &\(entity.prefix(12)); is not accepted (only &lt; &gt; &amp; &quot; &apos; and &#…;)")
            }
            j = semicolon + 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private func starts(_ text: String) -> Bool {
        let t = Array(text.utf8)
        return bytes.count - i >= t.count && bytes[i..<(i + t.count)].elementsEqual(t)
    }

    private mutating func skip(past terminator: String) throws(LabelStudioError) {
        let t = Array(terminator.utf8)
        while i + t.count <= bytes.count {
            if bytes[i..<(i + t.count)].elementsEqual(t) {
                i += t.count
                return
            }
            i += 1
        }
        throw .config("the labeling config ends inside a section that \(terminator) would close")
    }

    private mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    /// A name: letters, digits, `_ - . :`.
    private mutating func word() -> String {
        let start = i
        while i < bytes.count {
            let b = bytes[i]
            guard (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == 0x5F || b == 0x2D || b == 0x2E || b == 0x3A else { break }
            i += 1
        }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    private func error(_ what: String) -> LabelStudioError {
        .config("the labeling config has \(what) (at byte \(i))")
    }
}
