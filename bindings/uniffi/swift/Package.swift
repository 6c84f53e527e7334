// swift-tools-version:5.7
// Swift bindings of the necid SDK: the generated UniFFI Swift sources (Sources/Necid,
// committed and checked for staleness by scripts/suites/60-uniffi.sh), a system-library
// target for the generated C header, and the Rust library built by cargo.
import Foundation
import PackageDescription

let packageDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
/// Where libnecid_uniffi.so lives: NECID_LIB_DIR, else the workspace's cargo dev build.
let libDir = ProcessInfo.processInfo.environment["NECID_LIB_DIR"]
    ?? "\(packageDir)/../../../target/x86_64-unknown-linux-gnu/debug"

let package = Package(
    name: "Necid",
    platforms: [.macOS(.v12), .iOS(.v15)],
    products: [
        .library(name: "Necid", targets: ["Necid"]),
        // Test support (XCTest): a throwaway emulator for a user's own tests.
        .library(name: "NecidTesting", targets: ["NecidTesting"]),
    ],
    targets: [
        .systemLibrary(name: "necidFFI", path: "Sources/necidFFI"),
        .target(
            name: "Necid",
            dependencies: ["necidFFI"],
            path: "Sources/Necid",
            linkerSettings: [
                .unsafeFlags(["-L", libDir, "-Xlinker", "-rpath", "-Xlinker", libDir]),
            ]
        ),
        .target(
            name: "NecidTesting",
            dependencies: ["Necid"],
            path: "Sources/NecidTesting"
        ),
        .testTarget(
            name: "NecidTests",
            dependencies: ["Necid", "NecidTesting"],
            path: "Tests/NecidTests"
        ),
    ]
)
