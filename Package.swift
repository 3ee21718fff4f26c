// swift-tools-version:6.0
// VPPGateway: an HTTP/JSON + SSE gateway in front of FD.io VPP's binary API.
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "VPPGateway",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "vpp-gateway", targets: ["vpp-gateway"]),
        .library(name: "VPPSchema", targets: ["VPPSchema"]),
        .library(name: "VPPCodec", targets: ["VPPCodec"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
    ],
    targets: [
        // JSON values, an exact-number JSON reader and a byte-level JSON writer.
        .target(name: "VPPJSON", swiftSettings: strict),
        // .api.json loading into an immutable schema.
        .target(name: "VPPSchema", dependencies: ["VPPJSON"], swiftSettings: strict),
        // Schema-driven binary <-> canonical JSON codec.
        .target(name: "VPPCodec", dependencies: ["VPPSchema", "VPPJSON"], swiftSettings: strict),
        // OpenAPI 3.1 document generated from the loaded schema.
        .target(name: "VPPOpenAPI", dependencies: ["VPPSchema", "VPPJSON"], swiftSettings: strict),
        // libmicrohttpd as a system library, and the small Swift server around it.
        .systemLibrary(name: "CMicroHTTPD", pkgConfig: "libmicrohttpd",
                       providers: [.apt(["libmicrohttpd-dev"])]),
        .target(name: "HTTPServer",
                dependencies: ["CMicroHTTPD", .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        // The VPP API socket client: framing, handshake, id table, calls, dumps, events, reconnect.
        .target(name: "VPPClient",
                dependencies: ["VPPCodec", "VPPSchema", "VPPJSON", .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        // A faithful stand-in for VPP's API socket (tests, demo, benchmarks).
        .target(name: "VPPSimulator",
                dependencies: ["VPPCodec", "VPPSchema", "VPPJSON", .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        // The event hub: one VPP registration per (want_* message, arguments), fanned out.
        .target(name: "VPPEvents",
                dependencies: ["VPPClient", "VPPCodec", "VPPSchema", "VPPJSON", .product(name: "Logging", package: "swift-log")],
                swiftSettings: strict),
        // HTTP routes, problem+json, SSE, metrics: the product.
        .target(name: "Gateway",
                dependencies: ["VPPClient", "VPPEvents", "VPPCodec", "VPPSchema", "VPPJSON", "VPPOpenAPI", "VPPSimulator",
                               "HTTPServer",
                               .product(name: "Logging", package: "swift-log"),
                               .product(name: "Prometheus", package: "swift-prometheus"),
                               .product(name: "Crypto", package: "swift-crypto")],
                swiftSettings: strict),
        .executableTarget(
            name: "vpp-gateway",
            dependencies: [
                "VPPSchema", "VPPCodec", "VPPJSON", "VPPClient", "VPPSimulator", "VPPOpenAPI", "Gateway",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // Speed and memory benchmarks: `swift run -c release vpp-benchmarks` prints a table.
        .executableTarget(
            name: "vpp-benchmarks",
            dependencies: ["VPPSchema", "VPPCodec", "VPPJSON", "VPPClient", "VPPSimulator", "Gateway", "HTTPServer",
                           .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/VPPBenchmarks",
            swiftSettings: strict),
        .target(name: "VPPTestSupport", path: "Tests/VPPTestSupport", swiftSettings: strict),
        .testTarget(name: "VPPSchemaTests", dependencies: ["VPPSchema", "VPPTestSupport"], swiftSettings: strict),
        .testTarget(name: "VPPCodecTests", dependencies: ["VPPCodec", "VPPSchema", "VPPJSON", "VPPTestSupport"], swiftSettings: strict),
        .testTarget(name: "VPPSimulatorTests",
                    dependencies: ["VPPSimulator", "VPPCodec", "VPPSchema", "VPPJSON", "VPPTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "VPPClientTests",
                    dependencies: ["VPPClient", "VPPSimulator", "VPPCodec", "VPPSchema", "VPPJSON", "VPPTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "VPPOpenAPITests", dependencies: ["VPPOpenAPI", "VPPSchema", "VPPJSON", "VPPTestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "GatewayTests",
                    dependencies: ["Gateway", "VPPEvents", "VPPClient", "VPPSimulator", "HTTPServer", "VPPCodec", "VPPSchema",
                                   "VPPJSON", "VPPTestSupport"],
                    swiftSettings: strict),
        // Runs the built `vpp-gateway` binary as an operator would.
        .testTarget(name: "CLITests", dependencies: ["VPPTestSupport"], swiftSettings: strict),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "VPPTestSupport"], swiftSettings: strict),
    ]
)
