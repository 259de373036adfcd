// swift-tools-version: 6.0
import PackageDescription

/// Layers point one way: gradcam -> Service -> (HTTP, Explain -> ONNX -> Tensor, Imaging).
let package = Package(
    name: "gradcam-server",
    platforms: [.macOS(.v14)],
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
        .target(name: "Tensor", dependencies: ["CBLAS"]),
        .target(
            name: "ONNX",
            dependencies: ["Tensor", .product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),

        // Imaging: codecs in C (the only setjmp), the rest in Swift.
        .target(name: "CCodecs", dependencies: ["CJPEG", "CPNG"]),
        .target(name: "Imaging", dependencies: ["CCodecs"]),

        // HTTP/1.1 on sockets and Dispatch; knows nothing of the application.
        .target(name: "HTTP", dependencies: ["COpenSSL"]),

        // Tests.
        .testTarget(name: "TensorTests", dependencies: ["Tensor"]),
        .testTarget(name: "ONNXTests", dependencies: ["ONNX", "Tensor"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging"], resources: [.copy("Fixtures")]),
        .testTarget(name: "HTTPTests", dependencies: ["HTTP"]),
    ],
    swiftLanguageModes: [.v6]
)

