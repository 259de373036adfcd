// swift-tools-version: 6.0
import PackageDescription

/// Layers point one way: gradcam -> Service -> (HTTP, Explain -> ONNX -> Tensor, Imaging).
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

        // Engine.
        .target(name: "CKernels"),
        .target(name: "Tensor", dependencies: ["CBLAS", "CKernels"]),
        .target(
            name: "ONNX",
            dependencies: ["Tensor", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),

        // Explanations: methods over activations and gradients, layers, graph surgery.
        .target(name: "Explain", dependencies: ["Tensor", "Imaging"]),

        // Models: the manifest, the registry, preprocessing and the explanation document.
        .target(name: "Models", dependencies: ["Explain", "ONNX", "Imaging", "COpenSSL"]),

        // Imaging: codecs in C (the only setjmp), the rest in Swift.
        .target(name: "CCodecs", dependencies: ["CJPEG", "CPNG"]),
        .target(name: "Imaging", dependencies: ["CCodecs"]),

        // HTTP/1.1 on sockets and Dispatch; knows nothing of the application.
        .target(name: "HTTP", dependencies: ["COpenSSL"]),

        // The service: routes, worker pool, metrics; openapi.yaml and the demo page compiled in.
        .target(
            name: "Service",
            dependencies: ["HTTP", "Models", "Explain", "Imaging", "COpenSSL"],
            exclude: ["Web"],
            plugins: ["EmbedFiles"]
        ),
        .executableTarget(name: "embed"),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["embed"]),

        // The command-line tool and server.
        .target(name: "CMalloc"),
        .executableTarget(
            name: "gradcam",
            dependencies: ["CMalloc", "Service", "Models", "Explain", "Imaging", "HTTP", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),

        // Tests.
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "ONNXTests", dependencies: ["ONNX", "Tensor"]),
        .testTarget(name: "ExplainTests", dependencies: ["Explain", "ONNX", "Tensor"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Explain", "Imaging"]),
        .testTarget(name: "ServiceTests", dependencies: ["Service", "HTTP", "Models"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"], resources: [.copy("Fixtures")]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
    ],
    swiftLanguageModes: [.v6]
)

