import FuzzSupport
import HTTP

/// Fuzzes `URLEncoding`, which decodes every request path, query string and form body.
///
/// Invariants: escaping every byte as `%XX` and decoding gives back the bytes (as UTF-8
/// decoding them would); text without `%` decodes to itself (with `+` as a space only
/// when asked); form items are never more than the `&`-separated pieces; and the byte and
/// string entry points agree.
func fuzzURLEncoding(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = fuzzInput(data, count)
    let text = String(decoding: bytes, as: UTF8.self)

    for plusAsSpace in [false, true] {
        let decoded = URLEncoding.decode(bytes, plusAsSpace: plusAsSpace)
        invariant(decoded.utf8.count <= 3 * bytes.count, "\(bytes.count) bytes decoded to \(decoded.utf8.count)")
        let escaped = bytes.flatMap { byte in Array("%\(hexDigits[Int(byte >> 4)])\(hexDigits[Int(byte & 15)])".utf8) }
        invariant(URLEncoding.decode(escaped, plusAsSpace: plusAsSpace) == text, "escaped bytes did not decode back")
        if !bytes.contains(UInt8(ascii: "%")) {
            let expected = plusAsSpace ? String(decoding: bytes.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: " ") : $0 }, as: UTF8.self) : text
            invariant(decoded == expected, "text without escapes changed: '\(decoded)' for '\(expected)'")
        }
        if bytes.allSatisfy({ $0 < 0x80 }) {
            invariant(URLEncoding.decode(text, plusAsSpace: plusAsSpace) == decoded, "the string entry point decoded differently")
        }
    }

    let items = URLEncoding.formItems(bytes)
    let pieces = bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true).count
    invariant(items.count == pieces, "\(items.count) form items from \(pieces) pieces")
    if bytes.allSatisfy({ $0 < 0x80 }) {
        let fromText = URLEncoding.formItems(text)
        invariant(fromText.map(\.name) == items.map(\.name) && fromText.map(\.value) == items.map(\.value),
                  "the string entry point split the form differently")
    }
    return 0
}

private let hexDigits = Array("0123456789ABCDEF")
