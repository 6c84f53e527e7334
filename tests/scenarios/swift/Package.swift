// swift-tools-version:5.7
// Swift runner of the cross-language scenarios (tests/README.md), on the Swift bindings in
// bindings/uniffi/swift. scripts/suites/80-scenarios.sh runs it where `swift` exists.
import PackageDescription

let package = Package(
    name: "NecidScenarioRunner",
    platforms: [.macOS(.v12)],
    dependencies: [.package(name: "Necid", path: "../../../bindings/uniffi/swift")],
    targets: [
        .executableTarget(
            name: "scenario-runner",
            dependencies: [.product(name: "Necid", package: "Necid")],
            path: "Sources/scenario-runner"
        ),
    ]
)
