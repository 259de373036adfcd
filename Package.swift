// swift-tools-version: 6.0
import PackageDescription

/// Layers point one way (every module a target imports is declared; `tools/module_graph.py`
/// prints the graph from `swift package describe` and checks both):
///
///     gradcam -> CMalloc
///             -> Service -> HTTP -> COpenSSL, CEventPoll
///                        -> Pipeline -> Models -> COpenSSL
///                                              -> ONNX -> Tensor -> CBLAS, CKernels
///                                              -> Explain -> Tensor, Imaging -> CCodecs -> CJPEG, CPNG
///     HTTP, Explain, Models and Service also -> ClientText
///
///     each XTests -> X; HTTPTests, ServiceTests, ImagingTests, TensorTests -> TestSupport;
///     TensorTests also -> CKernels (its vectorized kernels against libm)
///
/// Tensor is the engine, ONNX reads models into it, Explain computes maps from it, Imaging
/// decodes and draws images, Models loads and describes models, Pipeline runs one request
/// end to end, HTTP knows nothing of the application, Service joins HTTP to the pipeline.
/// ClientText bounds how much of a client's input any error message repeats.
let package = Package(
    name: "gradcam-server",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gradcam", targets: ["gradcam"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
    ],
    targets: [
        // System libraries (Debian packages named in `providers`).
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // epoll (Linux) or kqueue (Darwin): headers only, in libc.
        .systemLibrary(name: "CEventPoll"),

        // Engine.
        .target(name: "CKernels"),
        .target(name: "Tensor", dependencies: ["CBLAS", "CKernels"]),
        .target(
            name: "ONNX",
            dependencies: ["Tensor", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),

        // Explanations: methods over activations and gradients, layers, graph surgery.
        .target(name: "Explain", dependencies: ["Tensor", "Imaging", "ClientText"]),

        // Models: loading (the manifest, the registry, checksums, labels, preprocessing).
        .target(name: "Models", dependencies: ["Explain", "ONNX", "Imaging", "Tensor", "COpenSSL", "ClientText"]),

        // Pipeline: one request end to end (decode, explain, the JSON document, rendering).
        .target(name: "Pipeline", dependencies: ["Models", "Explain", "Imaging", "Tensor"]),

        // Imaging: codecs in C (the only setjmp), the rest in Swift.
        .target(name: "CCodecs", dependencies: ["CJPEG", "CPNG"]),
        .target(name: "Imaging", dependencies: ["CCodecs"]),

        // HTTP/1.1 on sockets, epoll and Dispatch; knows nothing of the application.
        .target(name: "HTTP", dependencies: ["COpenSSL", "CEventPoll", "ClientText"]),

        // How an error message repeats client input (bounded): one home for every layer above.
        .target(name: "ClientText"),

        // The service: routes, worker pool, metrics; openapi.yaml and the demo page compiled in.
        .target(
            name: "Service",
            dependencies: ["HTTP", "Pipeline", "Models", "Explain", "Imaging", "Tensor", "COpenSSL", "ClientText"],
            exclude: ["Web"],
            plugins: ["EmbedFiles"]
        ),
        .executableTarget(name: "embed"),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["embed"]),

        // The command-line tool and server.
        .target(name: "CMalloc"),
        .executableTarget(
            name: "gradcam",
            dependencies: [
                "CMalloc", "Service", "Pipeline", "Models", "Explain", "Imaging", "Tensor", "HTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Tests. TestSupport holds no tests: what several test targets share (the socket client,
        // its response type, bounded waiting, the seeded generator); only test targets use it.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "CKernels", "TestSupport"]),
        .testTarget(
            name: "ONNXTests",
            dependencies: ["ONNX", "Tensor", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        .testTarget(name: "ExplainTests", dependencies: ["Explain", "ONNX", "Tensor"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Explain", "Imaging"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Models", "Explain", "Imaging"]),
        .testTarget(name: "ServiceTests", dependencies: ["Service", "HTTP", "Pipeline", "Models", "Imaging", "ClientText", "TestSupport"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// Fuzzing: libFuzzer targets in `Fuzz/`, declared only when GRADCAM_FUZZ=1 (`script/fuzz` sets it),
// so ordinary builds, tests and the release binary are untouched by the sanitizer flags.
if Context.environment["GRADCAM_FUZZ"] == "1" {
    // What each fuzz target drives, through the same entry points the service uses.
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzHTTPParser", ["HTTP"]),
        ("FuzzChunked", ["HTTP"]),
        ("FuzzMultipart", ["HTTP"]),
        ("FuzzURLEncoding", ["HTTP"]),
        ("FuzzImage", ["Imaging"]),
        ("FuzzONNX", ["ONNX"]),
        ("FuzzManifest", ["Models"]),
        ("FuzzKServe", ["Service", "HTTP", "Pipeline"]),
        ("FuzzFetch", ["HTTP"]),
        ("FuzzLabelStudioConfig", ["Pipeline"]),
    ]
    // Coverage feedback and AddressSanitizer on every Swift module of this package; internal
    // parsers (RequestParser, ChunkedDecoder) are reached with `@testable import`.
    let swiftFuzz = SwiftSetting.unsafeFlags(["-sanitize=fuzzer,address", "-enable-testing"])
    // The C codecs get AddressSanitizer and UndefinedBehaviorSanitizer, and undefined behaviour
    // aborts (a report alone would not count as a crash).
    let cFuzz = CSetting.unsafeFlags(["-fsanitize=fuzzer-no-link,address,undefined", "-fno-sanitize-recover=undefined"])
    for target in package.targets where target.type == .regular {
        target.swiftSettings = (target.swiftSettings ?? []) + [swiftFuzz]
        target.cSettings = (target.cSettings ?? []) + [cFuzz]
    }
    package.targets.append(.target(name: "FuzzSupport", path: "Fuzz/Support", swiftSettings: [swiftFuzz]))
    for (name, dependencies) in fuzzTargets {
        package.targets.append(.executableTarget(
            name: name,
            dependencies: dependencies + ["FuzzSupport"],
            path: "Fuzz/\(name)",
            swiftSettings: [swiftFuzz],
            // AddressSanitizer's runtime carries the UndefinedBehaviorSanitizer handlers too
            // (swiftc has no `-sanitize=undefined` on Linux).
            linkerSettings: [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])]
        ))
    }
}

