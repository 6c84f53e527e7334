// swift-tools-version:5.7
// Swift runner of the cross-language scenarios (tests/README.md), on the Swift bindings in
// bindings/uniffi/swift. scripts/suites/80-scenarios.sh builds and runs it (in the Debian
// trixie root of scripts/swift-toolchain when the host has no `swift`).
// It lives in `swift/runner`, not in `swift/` itself: SwiftPM names a local package after its
// folder, and a package named "swift" depending on bindings/uniffi/swift (also "swift") is
// rejected as a cyclic dependency.
import PackageDescription

let package = Package(
    name: "NecidScenarioRunner",
    platforms: [.macOS(.v12)],
    dependencies: [.package(name: "Necid", path: "../../../../bindings/uniffi/swift")],
    targets: [
        .executableTarget(
            name: "scenario-runner",
            dependencies: [.product(name: "Necid", package: "Necid")],
            path: "Sources/scenario-runner"
        ),
    ]
)
