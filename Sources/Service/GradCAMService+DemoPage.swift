import Foundation
import HTTP

/// One file of the demo page as served: its type, bytes and entity tag.
struct DemoPageFile: Sendable {
    let contentType: String
    let body: [UInt8]
    /// A strong ETag: FNV-1a (64 bits) of the bytes, quoted. It changes when the file does,
    /// so a browser that revalidates (`Cache-Control: no-cache`) never runs a stale module
    /// against a newer page after an upgrade, and gets `304` without the bytes otherwise.
    let etag: String

    init(contentType: String, text: String) {
        self.contentType = contentType
        body = Array(text.utf8)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in body { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let hex = String(hash, radix: 16)
        etag = "\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }
}

extension GradCAMService {
    /// Where the page's style sheet and ES modules are served: `/static/<file name>`.
    static let demoPageAssetPrefix = "/static/"

    /// Content types by file extension; a file of another extension in `Sources/Service/Web/`
    /// would not be served (integration/browser/test_demo_page.py checks that every file is).
    static let demoPageContentTypes = [
        "html": "text/html; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
    ]

    /// The page's files by name: those compiled in by the EmbedFiles plugin (`index.html` is
    /// `/`) and `colormaps.js`, written from Imaging's tables.
    static let demoPageFiles: [String: DemoPageFile] = DemoPageFiles.contents
        .merging([ColormapModule.fileName: ColormapModule.text]) { _, written in written }
        .reduce(into: [:]) { files, entry in
            let (name, text) = entry
            guard let dot = name.lastIndex(of: "."), let type = demoPageContentTypes[String(name[name.index(after: dot)...])] else { return }
            files[name] = DemoPageFile(contentType: type, text: text)
        }

    /// The demo page and its assets need no API key, even with `protectAll`: they hold no
    /// data, and the page asks the user for the key its requests need (nor does `/` as
    /// liveness: a probe holds no key either).
    static func isDemoPage(_ path: String) -> Bool {
        path == "/" || path.hasPrefix(demoPageAssetPrefix)
    }

    /// `GET /`: the page for a browser; for any other client KServe V1's server liveness,
    /// `{"status": "alive"}`, which kserve's `is_server_live` reads there. A browser's
    /// navigation names `text/html` in `Accept`; programs (kserve's client, curl, wget) send
    /// `*/*` or nothing. Both answers carry `Vary: Accept`, so no cache serves one for the other.
    func root(_ request: HTTPRequest) throws -> HTTPResponse {
        var response = try Self.acceptsHTML(request.headers["Accept"])
            ? demoPageFile("index.html", request) : .json(["status": "alive"])
        response.headers["Vary"] = "Accept"
        return response
    }

    /// Whether an `Accept` value names `text/html` or `application/xhtml+xml` with a quality
    /// above 0 (RFC 9110 §12.5.1; a malformed `q` counts as 1).
    static func acceptsHTML(_ accept: String?) -> Bool {
        guard let accept else { return false }
        return accept.split(separator: ",").contains { range in
            let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let type = parts.first, type == "text/html" || type == "application/xhtml+xml" else { return false }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            return quality > 0
        }
    }

    /// Answers GET/HEAD of a page file: 200 with the bytes, or 304 when the request's
    /// `If-None-Match` names the current ETag; 404 naming the files for any other name.
    func demoPageFile(_ name: String, _ request: HTTPRequest) throws -> HTTPResponse {
        guard let file = Self.demoPageFiles[name] else {
            let names = Self.demoPageFiles.keys.filter { $0 != "index.html" }.sorted()
            throw ServiceError(.notFound, "not_found", "the demo page has no file '\(name)'; its files are \(names.map { Self.demoPageAssetPrefix + $0 }.joined(separator: ", "))")
        }
        let headers: HTTPHeaders = ["Content-Type": file.contentType, "Cache-Control": "no-cache", "ETag": file.etag]
        if let tags = request.headers["If-None-Match"], Self.matches(tags, file.etag) {
            return HTTPResponse(status: .notModified, headers: headers)
        }
        return HTTPResponse(status: .ok, headers: headers, body: file.body)
    }

    /// Whether an `If-None-Match` value (`*` or a comma-separated list of tags, weak or
    /// strong) names `etag` (the weak comparison of RFC 9110 §13.1.2).
    private static func matches(_ value: String, _ etag: String) -> Bool {
        value.split(separator: ",").contains { tag in
            let tag = tag.trimmingCharacters(in: .whitespaces)
            return tag == "*" || (tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag) == etag
        }
    }
}
