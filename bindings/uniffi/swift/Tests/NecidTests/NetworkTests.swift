import Foundation
import XCTest
@testable import Necid
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The network settings are forwarded: a proxy where nothing listens makes every call a
/// network error (without the proxy's password in it), a bad proxy URL names the setting,
/// and the pool settings build a working client. (The Kotlin NetworkTest and the other
/// suites run the same settings through a real proxy process.)
final class NetworkTests: XCTestCase {
    private func closedPort() throws -> Int {
        // The emulator-free way to find a port where nothing listens: bind, read, close.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) }
        }
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        close(fd)
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    func testAProxyWhereNothingListensFailsEveryCall() async throws {
        let em = try SharedEmulator.get()
        let direct = try em.client()
        let ok = try await direct.health().ok
        XCTAssertTrue(ok)
        let proxy = "http://necid:wr0ng-pa55word@127.0.0.1:\(try closedPort())"
        let config = try em.builder().apiKey(value: em.info.apiKey).maxAttempts(value: 1).proxy(url: proxy).build()
        let e = await expectError { try await Client(config: config).health() }
        guard case .Network(let reason, _, _, _, _, _)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertFalse(reason.contains("wr0ng-pa55word"), reason)
    }

    func testABadProxyUrlNamesTheSetting() {
        XCTAssertThrowsError(try ConfigBuilder().proxy(url: "ftp://u:s3cret-value@h:21").build()) { error in
            guard case NecIdError.InvalidInput(let reason, _, _, _, _, let field) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(field, "proxy")
            XCTAssertFalse(reason.contains("s3cret-value"), reason)
        }
    }

    func testThePoolSettingsBuildAWorkingClient() async throws {
        let em = try SharedEmulator.get()
        let config = try em.builder().apiKey(value: em.info.apiKey)
            .poolMaxIdlePerHost(value: 0).poolIdleTimeout(value: 0.5).build()
        let c = try Client(config: config)
        for _ in 0..<2 {
            let ok = try await c.health().ok
            XCTAssertTrue(ok)
        }
    }
}
