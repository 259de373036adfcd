import Foundation
import Testing
@testable import Models

/// The models directory's loading rules: every *.onnx loads, a manifest entry overrides
/// the defaults, a bare file gets ImageNet defaults and its stem as name, and each kind
/// of mistake is refused with a message that names it.
@Suite struct ManifestTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../Fixtures/models/alexnet_small/model.onnx").standardizedFileURL.path

    /// A fresh models directory holding the fixture model as `file`, and `files` as text.
    func directory(model file: String = "tiny.onnx", _ files: [String: String] = [:]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("models-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixture, toPath: (dir as NSString).appendingPathComponent(file))
        for (name, text) in files {
            try text.write(toFile: (dir as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return dir
    }

    static let labels = (0..<1000).map { "class \($0)" }.joined(separator: "\n") + "\n"

    @Test func bareFileGetsImageNetDefaultsAndItsStemAsName() throws {
        var registry = try ModelRegistry(directory: try directory(model: "alexnet_tiny.onnx"))
        registry.loadAll()
        let model = try registry.model(named: "alexnet_tiny")
        #expect(model.preprocessing == .imageNet(width: 224, height: 224))
        #expect(model.labels.count == 1000 && model.labels[242] == "242")
        #expect(model.scores == .softmax)
        #expect(model.defaultLayer.name == "/features/features.11/Relu_output_0")
    }

    @Test func entryOverridesTheDefaults() throws {
        let dir = try directory([
            "tiny.labels": Self.labels,
            "manifest.json": """
            {"models": [{"name": "tiny-alexnet", "file": "tiny.onnx", "labels": "tiny.labels",
              "source": "tests", "license": "MIT", "scores": "sigmoid", "default_layer": "conv5",
              "layer_aliases": {"conv5": "/features/features.11/Relu_output_0", "conv2": "/features/features.4/Relu_output_0"},
              "preprocessing": {"color": "BGR", "scale": 1, "mean": [103.939, 116.779, 123.68], "std": [1, 1, 1],
                                "size": 224, "resize": "shorter-side-then-center-crop", "shorter_side": 256}}]}
            """,
        ])
        var registry = try ModelRegistry(directory: dir)
        registry.loadAll()
        #expect(registry.failures.isEmpty)
        let model = try registry.model(named: "tiny-alexnet")
        #expect(model.labels[242] == "class 242")
        #expect(model.scores == .sigmoid)
        #expect(model.license == "MIT")
        #expect(model.preprocessing == Preprocessing(color: .bgr, scale: 1, mean: [103.939, 116.779, 123.68], std: [1, 1, 1],
                                                     width: 224, height: 224, resize: .centerCrop, shorterSide: 256))
        #expect(model.defaultLayer.name == "/features/features.11/Relu_output_0")
        #expect(try model.layer(named: "conv2").name == "/features/features.4/Relu_output_0")
        #expect(model.aliases(of: model.defaultLayer) == ["conv5"])
    }

    @Test func checksumMismatchIsRefused() throws {
        let wrong = String(repeating: "ab", count: 32)
        let dir = try directory(["manifest.json": #"{"models": [{"name": "tiny", "file": "tiny.onnx", "sha256": "\#(wrong)"}]}"#])
        var registry = try ModelRegistry(directory: dir)
        registry.loadAll()
        #expect(registry.models.isEmpty)
        let failure = try #require(registry.failures.first)
        guard case .checksumMismatch(_, let expected, let actual) = failure.error else {
            Issue.record("expected a checksum mismatch, got \(failure.error)")
            return
        }
        #expect(expected == wrong && actual.count == 64 && actual != wrong)
        #expect("\(failure.error)".contains("SHA-256"))
    }

    @Test func matchingChecksumLoads() throws {
        let sum = try SHA256.hex(ofFile: Self.fixture)
        let dir = try directory(["manifest.json": #"{"models": [{"name": "tiny", "file": "tiny.onnx", "sha256": "\#(sum.uppercased())"}]}"#])
        var registry = try ModelRegistry(directory: dir)
        registry.loadAll()
        #expect(try registry.model(named: "tiny").sha256 == sum)
    }

    @Test func anUnreadableFilesDigestErrorNamesTheFile() {
        let path = "/nonexistent/gradcam/model.onnx"
        #expect(throws: SHA256.Failure(path: path, reason: "the file cannot be opened")) { try SHA256.hex(ofFile: path) }
        #expect("\(SHA256.Failure(path: path, reason: "x"))" == "cannot compute the SHA-256 of '\(path)': x")
    }

    @Test func missingLabelsFileIsRefused() throws {
        let dir = try directory(["manifest.json": #"{"models": [{"name": "tiny", "file": "tiny.onnx", "labels": "absent.labels"}]}"#])
        var registry = try ModelRegistry(directory: dir)
        registry.loadAll()
        let failure = try #require(registry.failures.first)
        #expect(failure.error == .labels(path: (dir as NSString).appendingPathComponent("absent.labels"), reason: "does not exist"))
    }

    @Test func labelsOfTheWrongCountAreRefused() throws {
        let dir = try directory(["few.labels": "a\nb\n", "manifest.json": #"{"models": [{"name": "tiny", "file": "tiny.onnx", "labels": "few.labels"}]}"#])
        var registry = try ModelRegistry(directory: dir)
        registry.loadAll()
        #expect("\(try #require(registry.failures.first).error)".contains("has 2 labels but the model has 1000 classes"))
    }

    @Test(arguments: [
        ("{not json", "not valid JSON"),
        (#"{"model": []}"#, #"expected an object with a "models" array"#),
        (#"{"models": [{"file": "tiny.onnx"}]}"#, #"entry 1: needs a non-empty "name""#),
        (#"{"models": [{"name": "a", "file": "../tiny.onnx"}]}"#, "a file name inside the models directory"),
        (#"{"models": [{"name": "a", "file": "tiny.onnx", "sha": "x"}]}"#, "unknown field 'sha'"),
        (#"{"models": [{"name": "a", "file": "tiny.onnx", "sha256": "xyz"}]}"#, "64 hexadecimal digits"),
        (#"{"models": [{"name": "a", "file": "tiny.onnx", "preprocessing": {"color": "CMYK"}}]}"#, "must be RGB or BGR"),
        (#"{"models": [{"name": "a", "file": "tiny.onnx", "preprocessing": {"size": "big"}}]}"#, "must be a number or [height, width]"),
        (#"{"models": [{"name": "a", "file": "tiny.onnx", "scores": "tanh"}]}"#, "must be one of softmax, sigmoid"),
        (#"{"models": [{"name": "a", "file": "x.onnx"}, {"name": "a", "file": "y.onnx"}]}"#, "appears twice"),
    ])
    func badManifestIsRefused(_ text: String, _ message: String) throws {
        let dir = try directory(["manifest.json": text])
        #expect {
            _ = try ModelRegistry(directory: dir)
        } throws: { error in
            "\(error)".contains(message) && "\(error)".contains("manifest.json")
        }
    }

    @Test func entryWithoutItsFileIsListedAsMissing() throws {
        let dir = try directory(["manifest.json": #"{"models": [{"name": "vgg16", "file": "vgg16-7.onnx"}]}"#])
        var registry = try ModelRegistry(directory: dir)
        registry.loadAll()
        #expect(registry.missing().map(\.name) == ["vgg16"])
        #expect(try registry.model(named: "tiny").name == "tiny")
        #expect(throws: ModelError.unknownModel("vgg16", available: ["tiny"])) { try registry.model(named: "vgg16") }
    }

    @Test func invalidPreprocessingIsRefused() throws {
        let dir = try directory(["manifest.json": #"{"models": [{"name": "tiny", "file": "tiny.onnx", "preprocessing": {"std": [0, 1, 1]}}]}"#])
        var registry = try ModelRegistry(directory: dir)
        registry.loadAll()
        #expect(try #require(registry.failures.first).error == .invalidPreprocessing("std and scale must be positive and finite"))
    }
}

/// The fields `models/fetch` reads (`url`, `size`), and the manifest that ships in `models/`.
@Suite struct ManifestFetchFieldTests {
    static let modelsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../models").standardizedFileURL.path

    @Test func urlAndSizeAreRead() throws {
        let text = #"{"models": [{"name": "a", "file": "a.onnx", "size": 1048576, "url": "https://example.com/m/a.onnx"}]}"#
        let entry = try #require(try Manifest(data: Data(text.utf8), path: "manifest.json").entries.first)
        #expect(entry.size == 1_048_576)
        #expect(entry.url == "https://example.com/m/a.onnx")
    }

    @Test(arguments: [
        (#"{"models": [{"name": "a", "file": "a.onnx", "url": "ftp://example.com/a.onnx"}]}"#, #""url" must start with https:// or http://"#),
        (#"{"models": [{"name": "a", "file": "a.onnx", "url": 7}]}"#, #""url" must be a string"#),
        (#"{"models": [{"name": "a", "file": "a.onnx", "size": 0}]}"#, #""size" must be a positive number of bytes"#),
        (#"{"models": [{"name": "a", "file": "a.onnx", "size": "big"}]}"#, #""size" must be an integer"#),
    ])
    func badURLOrSizeIsRefused(_ text: String, _ message: String) {
        #expect {
            _ = try Manifest(data: Data(text.utf8), path: "manifest.json")
        } throws: { error in
            "\(error)".contains(message) && "\(error)".contains("entry 1")
        }
    }

    /// `models/manifest.json` parses, every downloadable entry carries what `models/fetch`
    /// verifies, and every labels file it names is in `models/`.
    @Test func shippedManifestIsValid() throws {
        let manifest = try Manifest.load(path: (Self.modelsDirectory as NSString).appendingPathComponent("manifest.json"))
        #expect(Set(manifest.entries.map(\.name)).isSuperset(of: ["vgg16", "alexnet"]))
        for entry in manifest.entries {
            if entry.url != nil {
                #expect(entry.sha256 != nil && entry.size != nil, "\(entry.name): a url needs sha256 and size")
            }
            if let labels = entry.labels {
                let path = (Self.modelsDirectory as NSString).appendingPathComponent(labels)
                #expect(FileManager.default.fileExists(atPath: path), "\(entry.name): \(labels) is not in models/")
            }
        }
    }

    @Test func shippedImageNetLabelsAreTheThousandClassesInIndexOrder() throws {
        let labels = try Labels.load(path: (Self.modelsDirectory as NSString).appendingPathComponent("imagenet.labels"), expectedCount: 1000)
        #expect(labels[0] == "tench" && labels[242] == "boxer" && labels[282] == "tiger cat" && labels[999] == "toilet tissue")
    }
}
