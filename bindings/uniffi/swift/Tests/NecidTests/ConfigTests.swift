import Foundation
import XCTest
@testable import Necid
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Configuration from a profile file and the environment (mirrors the Kotlin ConfigTest).
final class ConfigTests: XCTestCase {
    override func setUpWithError() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("necid-swift-profiles-\(UUID().uuidString).ini")
        try """
        [default]
        region = eu-west-1
        endpoint = http://127.0.0.1:1

        [profile uniffi-test]
        endpoint = http://127.0.0.1:2/
        access_key_id = AKIDPROFILE
        secret_access_key = profile-secret
        api_key = profile-api-key
        max_attempts = 5
        """.write(to: file, atomically: true, encoding: .utf8)
        setenv("NECID_CONFIG_FILE", file.path, 1)
        for v in ["NECID_PROFILE", "NECID_ENDPOINT", "NECID_REGION", "NECID_ACCESS_KEY_ID", "NECID_SECRET_ACCESS_KEY",
                  "NECID_API_KEY", "NECID_SESSION_TOKEN", "NECID_MAX_ATTEMPTS"] {
            unsetenv(v)
        }
    }

    override func tearDown() {
        unsetenv("NECID_CONFIG_FILE")
    }

    func testNamedProfile() throws {
        let cfg = try ClientConfig.fromProfile(profile: "uniffi-test")
        XCTAssertEqual(cfg.endpoint(), "http://127.0.0.1:2")
        XCTAssertEqual(cfg.accessKeyId(), "AKIDPROFILE")
        XCTAssertTrue(cfg.hasCredentials() && cfg.hasApiKey())
        XCTAssertEqual(cfg.maxAttempts(), 5)
        XCTAssertThrowsError(try ClientConfig.fromProfile(profile: "no-such-profile")) { e in
            XCTAssertEqual((e as? NecIdError)?.kind, "InvalidInput")
        }
    }

    func testDefaultProfileThroughTheEnvironment() throws {
        XCTAssertEqual(try ClientConfig.fromEnv().region(), "eu-west-1")
        XCTAssertEqual(try ConfigBuilder.fromEnv().build().region(), "eu-west-1")
        XCTAssertEqual(try Client.fromEnv().config().endpoint(), "http://127.0.0.1:1")
    }

    func testBuilderIsImmutable() throws {
        let base = ConfigBuilder().region(value: "us-east-1")
        let derived = base.region(value: "eu-central-1")
        XCTAssertEqual(try base.build().region(), "us-east-1")
        XCTAssertEqual(try derived.build().region(), "eu-central-1")
        XCTAssertThrowsError(try ConfigBuilder().accessKeyId(value: "AKID").build())
    }

    func testRetrySettingsOneByOne() throws {
        let cfg = try ConfigBuilder().maxAttempts(value: 4).retryBaseDelay(value: 0.01)
            .retryMaxDelay(value: 0.3).maxRetryAfter(value: 2).build()
        XCTAssertEqual(cfg.maxAttempts(), 4)
        XCTAssertEqual(cfg.retryBaseDelay(), 0.01, accuracy: 1e-9)
        XCTAssertEqual(cfg.retryMaxDelay(), 0.3, accuracy: 1e-9)
        XCTAssertEqual(cfg.maxRetryAfter(), 2, accuracy: 1e-9)
        XCTAssertEqual(try ConfigBuilder().build().maxRetryAfter(), 20, accuracy: 1e-9)
    }
}
