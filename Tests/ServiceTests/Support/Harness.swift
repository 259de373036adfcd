import Foundation
import HTTP
import Models
import Service
import TestSupport

/// Files the tests read from the repository (paths, not imports of other test targets).
enum Fixture {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The file's bytes; a missing fixture stops the run at once, naming the file, rather
    /// than turning into an empty upload that fails some later expectation obscurely.
    static func bytes(_ relativePath: String) -> [UInt8] {
        let path = repository.appending(path: relativePath).path
        guard let data = FileManager.default.contents(atPath: path) else {
            fatalError("test fixture missing: \(path)")
        }
        return Array(data)
    }

    /// A 37x23 RGB PNG.
    static let png = bytes("Tests/ImagingTests/Fixtures/png_rgb8.png")
    /// A 45x29 baseline JPEG.
    static let jpeg = bytes("Tests/ImagingTests/Fixtures/jpeg_444.jpg")
    /// A valid PNG header declaring 100000x100000 pixels.
    static let hugePNG = bytes("Tests/ImagingTests/Fixtures/bad_png_100000x100000.png")
    static let openAPI = String(decoding: bytes("openapi.yaml"), as: UTF8.self)

    /// A models directory with the small VGG16 and AlexNet fixtures (no manifest: the
    /// file stems are the names), made once per process.
    static let modelsDirectory = makeModelsDirectory("both", ["vgg16_small", "alexnet_small"])
    /// Only the small VGG16: for the services tests start of their own (cheaper to load).
    static let vggDirectory = makeModelsDirectory("vgg", ["vgg16_small"])
    /// The MobileNetV3 idiom (HardSwish in its classifier): methods that refuse such models.
    static let mobilenetDirectory = makeModelsDirectory("mobilenet", ["mobilenetv3_idiom"])

    private static func makeModelsDirectory(_ label: String, _ names: [String]) -> String {
        let directory = FileManager.default.temporaryDirectory.appending(path: "gradcam-service-tests-\(label)-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in names {
            let target = directory.appending(path: "\(name).onnx")
            if !FileManager.default.fileExists(atPath: target.path) {
                try? FileManager.default.copyItem(at: repository.appending(path: "Tests/Fixtures/models/\(name)/model.onnx"), to: target)
            }
        }
        return directory.path
    }

    /// An empty models directory.
    static let emptyDirectory: String = {
        let directory = FileManager.default.temporaryDirectory.appending(path: "gradcam-service-tests-empty-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.path
    }()

    /// The PNG's width and height, from its IHDR chunk.
    static func pngSize(_ bytes: [UInt8]) -> (width: Int, height: Int)? {
        guard bytes.count >= 24, bytes[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { return nil }
        func be32(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be32(16), be32(20))
    }
}

/// HTTP limits small enough that limit tests send little, and timeouts short enough
/// that timeout tests finish fast.
extension HTTPServer.Configuration {
    static var testing: HTTPServer.Configuration {
        HTTPServer.Configuration(
            host: "127.0.0.1", port: 0, maxTargetLength: 2048, maxHeaderBytes: 4096, maxHeaderCount: 30,
            maxBodyBytes: 256 * 1024, headerTimeout: .milliseconds(600), bodyIdleTimeout: .milliseconds(600),
            keepAliveTimeout: .seconds(2), writeTimeout: .seconds(2), lingerTimeout: .milliseconds(300))
    }

    /// The same limits with timeouts no busy test machine reaches: for tests of anything
    /// but timeouts.
    static var relaxed: HTTPServer.Configuration {
        var configuration = testing
        configuration.headerTimeout = .seconds(30)
        configuration.bodyIdleTimeout = .seconds(30)
        configuration.keepAliveTimeout = .seconds(30)
        return configuration
    }
}

/// One service with both models loaded, shared by every test that needs no settings of
/// its own (so the suites do not load the models dozens of times at once). It runs
/// until the test process ends. One worker: the other core stays free for the timing
/// tests that run in the same process.
enum SharedService {
    private static let started = Task.detached {
        var configuration = ServiceConfiguration(workers: 1, threadsPerWorker: 1)
        configuration.modelsDirectory = Fixture.modelsDirectory
        configuration.queueCapacity = 256
        configuration.timeout = .seconds(120)
        let service = GradCAMService(configuration: configuration)
        try await onThread { try service.loadModels() }
        return try HTTPServer(configuration: .relaxed, responder: service).start()
    }

    /// The shared server's port.
    static var port: Int {
        get async throws { try await started.value }
    }
}

/// Starts a service (the small VGG16 loaded, unless `load` is false) behind a server on a
/// free port, runs `body`, and stops both.
func withService(
    load: Bool = true,
    modelsDirectory: String = Fixture.vggDirectory,
    http: HTTPServer.Configuration = .relaxed,
    configure: (inout ServiceConfiguration) -> Void = { _ in },
    _ body: (GradCAMService, Int) async throws -> Void
) async throws {
    var configuration = ServiceConfiguration(workers: 1, threadsPerWorker: 1)
    configuration.modelsDirectory = modelsDirectory
    configuration.timeout = .seconds(20)
    configure(&configuration)
    let service = GradCAMService(configuration: configuration)
    if load { try await onThread { try service.loadModels() } }
    let server = HTTPServer(configuration: http, responder: service)
    let port = try server.start()
    do {
        try await body(service, port)
    } catch {
        await server.shutdown(grace: .zero)
        await onThread { service.shutdown() }
        throw error
    }
    await server.shutdown(grace: .seconds(2))
    await onThread { service.shutdown() }
}

/// Request bytes: `method target`, a Host header, `headers`, and `body` with its length.
func request(_ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8]? = nil) -> [UInt8] {
    var head = "\(method) \(target) HTTP/1.1\r\nHost: test\r\n"
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    if let body { head += "Content-Length: \(body.count)\r\n" }
    return Array((head + "\r\n").utf8) + (body ?? [])
}

/// A multipart/form-data body: the image as a file part named `imageName` (none when
/// `nil`), then `fields` as plain parts.
struct Form {
    static let boundary = "gradcam-test-boundary"
    static let contentType = "multipart/form-data; boundary=\(boundary)"

    var image: [UInt8]?
    var imageName = "image"
    var fields: [(String, String)] = []

    var bytes: [UInt8] {
        var out: [UInt8] = []
        if let image {
            out += Array("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"\(imageName)\"; filename=\"x.png\"\r\nContent-Type: image/png\r\n\r\n".utf8)
            out += image + Array("\r\n".utf8)
        }
        for (name, value) in fields {
            out += Array("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        return out + Array("--\(Self.boundary)--\r\n".utf8)
    }
}

/// `POST target` with `form` as multipart/form-data, on a fresh connection.
func post(_ port: Int, _ target: String, form: Form, headers: [(String, String)] = []) async throws -> WireResponse {
    try await SocketClient(port: port).exchange(request("POST", target, headers: [("Content-Type", Form.contentType)] + headers, body: form.bytes))
}

/// `POST target` with a raw body of `contentType` (no Content-Type when `nil`).
func post(_ port: Int, _ target: String, raw: [UInt8], contentType: String?) async throws -> WireResponse {
    try await SocketClient(port: port).exchange(request("POST", target, headers: contentType.map { [("Content-Type", $0)] } ?? [], body: raw))
}

/// `GET target` on a fresh connection.
func get(_ port: Int, _ target: String, headers: [(String, String)] = []) async throws -> WireResponse {
    try await SocketClient(port: port).exchange(request("GET", target, headers: headers))
}

/// Runs `body` against the shared service's port.
func withSharedService(_ body: (Int) async throws -> Void) async throws {
    try await body(SharedService.port)
}
