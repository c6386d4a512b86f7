// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "renewal-recon",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "renewal-recon", targets: ["renewal-recon"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),  // COPY FROM STDIN
        // postgres-nio's own; named for the socket the store opens and the tests' EmbeddedChannel.
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
    ],
    targets: [
        // libxml2 from the system (Debian: libxml2-dev); see shim.h for the ICU workaround.
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        // One call into SQLite that Swift cannot make (`sqlite3_config` is variadic).
        .target(name: "CSQLiteTuning", linkerSettings: [.linkedLibrary("sqlite3")]),
        // The pure domain: no I/O, no C, no database.
        .target(
            name: "ReconCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "ReconIngest",
            dependencies: [
                "ReconCore", "CLibXML2",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // The SAX callbacks touch the reader's state tens of millions of times a day; dynamic
            // exclusivity checks cost about a tenth of the parse. One reader is only ever used by
            // one thread (RecordStream gives each file its own), so release builds skip them.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        .target(
            name: "ReconStore",
            dependencies: [
                "ReconCore", "CSQLiteTuning",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "ReconReports",
            dependencies: [
                "ReconCore",
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.copy("Templates")]
        ),
        .executableTarget(
            name: "renewal-recon",
            dependencies: [
                "ReconCore", "ReconIngest", "ReconStore", "ReconReports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The fuzz harness of the settlement readers: `scripts/fuzz` builds it with libFuzzer.
        .executableTarget(name: "recon-fuzz", dependencies: ["ReconIngest", "ReconCore"]),
        .testTarget(name: "ReconCoreTests", dependencies: ["ReconCore"]),
        .testTarget(name: "ReconIngestTests", dependencies: ["ReconIngest", "ReconCore"]),
        .target(
            name: "ReconTestSupport",
            dependencies: ["ReconStore", .product(name: "Logging", package: "swift-log")],
            path: "Tests/ReconTestSupport"
        ),
        .testTarget(name: "ReconStoreTests", dependencies: [
            "ReconStore", "ReconCore", "ReconTestSupport", .product(name: "GRDBSQLite", package: "GRDB.swift"),
            .product(name: "InMemoryLogging", package: "swift-log"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ]),
        .testTarget(
            name: "ReconJobTests",
            dependencies: ["renewal-recon", "ReconCore", "ReconStore", "ReconReports", "ReconTestSupport"],
            // Expected outputs, read from the source tree by path.
            exclude: ["Golden"]
        ),
    ]
)
