import Foundation
import HTTP
import Imaging
import Service
import Testing

/// The demo page's files (`/` and `/static/<file>`), without sockets: types, validators,
/// 404 for other names, and no key needed for them even with `protectAll`.
@Suite(.timeLimit(.minutes(2))) struct DemoPageTests {
    private func service(protectAll: Bool = false, keys path: String? = nil) throws -> GradCAMService {
        var settings = ServiceConfiguration(workers: 1, threadsPerWorker: 1)
        settings.modelsDirectory = FileManager.default.temporaryDirectory.path
        if let path {
            settings.apiKeys = try APIKeys(path: path)
            settings.protectAll = protectAll
        }
        return GradCAMService(configuration: settings)
    }

    /// What Chromium sends as `Accept` when it navigates to a page.
    private static let browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"

    /// A GET as a browser sends it (`accept`: its navigation's `Accept`, unless told otherwise).
    private func get(_ service: GradCAMService, _ target: String, headers: HTTPHeaders = [:],
                     accept: String? = browserAccept) async -> HTTPResponse {
        var headers = headers
        if let accept { headers["Accept"] = accept }
        return await service.respond(to: HTTPRequest(method: "GET", target: target, headers: headers))
    }

    /// `/` and every file it loads: its `<link>`/`<script>` and, recursively, the modules' imports.
    private func pageFiles(_ service: GradCAMService) async throws -> [String: HTTPResponse] {
        var found: [String: HTTPResponse] = [:], queue = ["/"]
        while let path = queue.popLast() {
            guard found[path] == nil else { continue }
            let response = await get(service, path)
            found[path] = response
            let text = String(decoding: response.body, as: UTF8.self)
            let pattern = path == "/" ? #"(?:href|src)="(/static/[^"]+)""# : #"from '\./([\w.-]+)'"#
            for match in text.matches(of: try Regex(pattern)) {
                let name = String(match.output[1].substring ?? "")
                queue.append(path == "/" ? name : "/static/" + name)
            }
        }
        return found
    }

    @Test func thePageAndEveryFileItLoadsAreServedWithTypeAndValidators() async throws {
        let service = try service()
        defer { service.shutdown() }
        let files = try await pageFiles(service)
        #expect(files["/static/style.css"]?.headers["Content-Type"] == "text/css; charset=utf-8")
        #expect(files["/static/colormaps.js"] != nil && files["/static/render.js"] != nil, "\(files.keys.sorted())")
        for (path, response) in files {
            #expect(response.status == .ok, "\(path)")
            let type = response.headers["Content-Type"]
            #expect(path == "/" ? type == "text/html; charset=utf-8" : path.hasSuffix(".css") || type == "text/javascript; charset=utf-8", "\(path)")
            #expect(response.headers["Cache-Control"] == "no-cache", "\(path)")
            let etag = try #require(response.headers["ETag"], "\(path)")
            #expect(etag.count == 18 && etag.hasPrefix("\"") && etag.hasSuffix("\""), "\(path): \(etag)")

            for tags in [etag, "W/\(etag)", "\"0000000000000000\", \(etag)", "*"] {
                let again = await get(service, path, headers: ["If-None-Match": tags])
                #expect(again.status == .notModified && again.body.isEmpty, "\(path) with \(tags)")
                #expect(again.headers["ETag"] == etag)
            }
            let stale = await get(service, path, headers: ["If-None-Match": "\"0000000000000000\""])
            #expect(stale.status == .ok && stale.body == response.body, "\(path)")
        }
        #expect(Set(files.values.compactMap { $0.headers["ETag"] }).count == files.count, "each file has its own tag")
    }

    /// `/` is the page for a browser and KServe V1's liveness for any other client (kserve's
    /// `is_server_live` sends `*/*`), each with `Vary: Accept`.
    @Test func theRootIsThePageForBrowsersAndKServeLivenessForPrograms() async throws {
        let service = try service()
        defer { service.shutdown() }
        for accept in [Self.browserAccept, "text/html", "TEXT/HTML ; q=0.5", "application/xhtml+xml", "text/html;q=oops"] {
            let response = await get(service, "/", accept: accept)
            #expect(response.status == .ok && response.headers["Content-Type"] == "text/html; charset=utf-8", "\(accept)")
            #expect(response.headers["Vary"] == "Accept")
        }
        for accept in [nil, "*/*", "application/json", "text/html;q=0", "text/*", "text/htmlx"] {
            let response = await get(service, "/", accept: accept)
            #expect(response.status == .ok && response.headers["Content-Type"] == "application/json", "\(accept ?? "none")")
            #expect(String(decoding: response.body, as: UTF8.self) == #"{"status":"alive"}"#, "\(accept ?? "none")")
            #expect(response.headers["Vary"] == "Accept")
        }
    }

    /// The page colours its overlay with the server's own tables: the `colormaps.js` the
    /// server writes holds every colormap's table, exactly.
    @Test func theColormapModuleHoldsTheServersTables() async throws {
        let service = try service()
        defer { service.shutdown() }
        let text = String(decoding: await get(service, "/static/colormaps.js").body, as: UTF8.self)
        var tables: [String: [UInt8]] = [:]
        for line in text.split(separator: "\n") where line.contains(": new Uint8Array([") {
            let name = line.prefix { $0 != ":" }.trimmingCharacters(in: .whitespaces)
            let values = line.drop { $0 != "[" }.dropFirst().prefix { $0 != "]" }
            tables[name] = values.split(separator: ", ").compactMap { UInt8($0) }
        }
        #expect(tables == Dictionary(uniqueKeysWithValues: Colormap.allCases.map { ($0.rawValue, $0.table) }))
    }

    @Test(arguments: ["/static/", "/static/nope.js", "/static/main.js/x", "/static/../openapi.yaml", "/static/MAIN.JS"])
    func otherNamesAreNotFound(target: String) async throws {
        let service = try service()
        defer { service.shutdown() }
        let response = await get(service, target)
        #expect(response.status == .notFound)
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.contains("\"not_found\"") && text.contains("/static/main.js"), "\(text)")
    }

    @Test func thePageNeedsNoKeyEvenWhenEverythingElseDoes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("demopage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let keys = directory.appendingPathComponent("keys").path
        try Data("page-key\n".utf8).write(to: URL(fileURLWithPath: keys))
        let service = try service(protectAll: true, keys: keys)
        defer { service.shutdown() }
        #expect(await get(service, "/models").status.code == 401)
        let files = try await pageFiles(service)
        #expect(files.count > 3)
        for (path, response) in files { #expect(response.status == .ok, "\(path)") }
    }
}
