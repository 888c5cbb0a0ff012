// swift-tools-version:6.0
//
// Tributary: customer-data unification pipeline.
//
// Targets, with one-way dependencies (a target only imports those listed before it):
//
//   TributaryCore        vocabulary: diagnostics, config nodes, component specs, columnar batches,
//                        row accounting, component and writer protocols. No I/O.
//   TributaryConfig      YAML -> located config tree, ${VAR} interpolation, validation passes,
//                        the typed PipelineDefinition. The only target that imports Yams.
//   TributaryComponents  extractors / transforms (one file each) and the explicit registry.
//                        The CSV extractor parses with libcsv (CCSV); the JSON-lines extractor
//                        inflates gzip with zlib (CZlib).
//   TributaryMatching    identity resolution as a pure library (deterministic stitching, Fellegi-Sunter matching).
//   TributaryRuntime     planner, parallel runner, the stages after the load (identity, golden
//                        records, activities, traits, segments, exports) over a storage seam,
//                        the SQLite writer and store, atomic publish, lock, ledger, explain,
//                        inspect and the HTML report; the PostgreSQL output (libpq, CLibPQ).
//   pipeline             the thin CLI (swift-argument-parser).
//   tributary-bench      data generators with ground truth (retail, Acme) and benchmarks run
//                        side by side with the peers (DuckDB; Splink in Scripts/bench-*).
//   TributaryTestSupport (Tests/) helpers the test targets share; not a product.
import PackageDescription

let package = Package(
    name: "Tributary",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "pipeline", targets: ["pipeline"]),
        .executable(name: "tributary-bench", targets: ["tributary-bench"]),
        .library(name: "TributaryRuntime", targets: ["TributaryRuntime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", exact: "5.0.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(name: "CCSV", path: "Sources/CCSV",
                       providers: [.apt(["libcsv-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib",
                       providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"])]),

        .target(name: "TributaryCore"),
        .target(name: "TributaryConfig",
                dependencies: ["TributaryCore", .product(name: "Yams", package: "Yams")]),
        .target(name: "TributaryComponents",
                dependencies: ["TributaryCore", "CCSV", "CZlib"]),
        .target(name: "TributaryMatching"),
        .target(name: "TributaryRuntime",
                dependencies: [
                    "TributaryCore", "TributaryConfig", "TributaryComponents", "TributaryMatching", "CSQLite", "CLibPQ",
                    .product(name: "Logging", package: "swift-log"),
                    .product(name: "Crypto", package: "swift-crypto"),
                ]),
        .executableTarget(name: "pipeline",
                          dependencies: [
                              "TributaryRuntime",
                              .product(name: "ArgumentParser", package: "swift-argument-parser"),
                              .product(name: "Logging", package: "swift-log"),
                          ]),
        .executableTarget(name: "tributary-bench",
                          dependencies: [
                              "TributaryRuntime", "TributaryConfig", "TributaryComponents", "TributaryCore",
                              .product(name: "ArgumentParser", package: "swift-argument-parser"),
                          ]),

        // What the test targets share: temporary workspaces, running the built `pipeline`, reading
        // an output database, hand-built config nodes and batches, the seeded generator's test draw.
        .target(name: "TributaryTestSupport",
                dependencies: ["TributaryCore", "TributaryMatching", "CSQLite"],
                path: "Tests/TributaryTestSupport"),
        .testTarget(name: "TributaryConfigTests",
                    dependencies: ["TributaryConfig", "TributaryComponents", "TributaryTestSupport"]),
        .testTarget(name: "TributaryComponentsTests",
                    dependencies: ["TributaryComponents", "CZlib", "TributaryMatching", "TributaryTestSupport"]),
        .testTarget(name: "TributaryMatchingTests", dependencies: ["TributaryMatching", "TributaryTestSupport"]),
        .testTarget(name: "TributaryRuntimeTests",
                    dependencies: ["TributaryRuntime", "TributaryConfig", "TributaryCore", "TributaryMatching",
                                   "TributaryComponents", "CSQLite", "CZlib", "TributaryTestSupport",
                                   .product(name: "Logging", package: "swift-log")]),
        // The `pipeline` binary driven as a user drives it: arguments in, text and exit status out.
        .testTarget(name: "TributaryCLITests", dependencies: ["TributaryRuntime", "TributaryTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
