import Foundation
import XCTest
@testable import Necid
import NecidTesting
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// TLS trust roots against `necid serve --tls` (real HTTPS on loopback, certificate signed by
/// a CA the emulator generated at start), and a panic inside a request (the necid-uniffi
/// `test-hooks` build) becoming an error. Mirrors the Kotlin TlsTest.
final class TlsTests: XCTestCase {
    private func tlsBuilder() throws -> ConfigBuilder {
        let em = try SharedEmulator.tls()
        return em.builder().apiKey(value: em.info.apiKey).retryPolicy(maxAttempts: 1, baseDelay: 0.01, maxDelay: 0.01)
    }

    private func caFile() throws -> String { try XCTUnwrap(SharedEmulator.tls().info.caFile) }

    func testHttpsWithTheEmulatorCaAsCustomBundle() async throws {
        XCTAssertTrue(try SharedEmulator.tls().info.endpoint.hasPrefix("https://"))
        let config = try tlsBuilder().caBundle(path: caFile()).build()
        XCTAssertEqual(config.tlsRoots(), .custom)
        let c = try Client(config: config)
        let health = try await c.health()
        XCTAssertTrue(health.ok)
        let registered = try await c.registerSubject(face: face("obama.jpg"))
        XCTAssertFalse(registered.subjectId.isEmpty)
        let pem = try Data(contentsOf: URL(fileURLWithPath: caFile()))
        let fromBytes = try Client(config: tlsBuilder().caBundlePem(pem: pem).build())
        let ok = try await fromBytes.health().ok
        XCTAssertTrue(ok)
    }

    func testWithoutTheCaTheCertificateErrorIsClear() async throws {
        let c = try Client(config: tlsBuilder().build())
        let e = await expectError { try await c.health() }
        guard case .Network(let reason, _, _, _, _, _)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertTrue(reason.contains("TLS certificate verification failed"), reason)
        XCTAssertTrue(reason.contains("UnknownIssuer"), reason)
    }

    func testBundledRootsRejectTheSelfSignedEmulator() async throws {
        let config = try tlsBuilder().tlsRoots(value: .bundled).build()
        XCTAssertEqual(config.tlsRoots(), .bundled)
        let e = await expectError { try await Client(config: config).health() }
        guard case .Network(let reason, _, _, _, _, _)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertTrue(reason.contains("bundled Mozilla roots"), reason)
        let trusted = try Client(config: tlsBuilder().tlsRoots(value: .bundled).caBundle(path: caFile()).build())
        let ok = try await trusted.health().ok
        XCTAssertTrue(ok)
    }

    /// Client certificates (mutual TLS) against two emulators started with `--tls
    /// --tls-client-auth`, each with its own CA (one's client certificate is not trusted by
    /// the other); both stop when the test ends.
    func testClientCertificatesAreRequiredCheckedAndNeverQuoted() async throws {
        let options = EmulatorOptions(tls: true, binary: devBinary(), extraArgs: ["--tls-client-auth"])
        let one = try startEmulator(options)
        let other = try startEmulator(options)
        func builder() -> ConfigBuilder {
            one.builder().retryPolicy(maxAttempts: 1, baseDelay: 0.01, maxDelay: 0.01)
        }
        let cert = try XCTUnwrap(one.info.clientCertFile)
        let key = try XCTUnwrap(one.info.clientKeyFile)
        // With the certificate: calls succeed (from files and from PEM bytes).
        let c = try Client(config: builder().clientCert(path: cert).clientKey(path: key).build())
        let ok = try await c.health().ok
        XCTAssertTrue(ok)
        let registered = try await c.registerSubject(face: face("obama.jpg"))
        XCTAssertFalse(registered.subjectId.isEmpty)
        let pem = try Client(config: builder()
            .clientCertPem(pem: Data(contentsOf: URL(fileURLWithPath: cert)))
            .clientKeyPem(pem: Data(contentsOf: URL(fileURLWithPath: key))).build())
        let pemOk = try await pem.health().ok
        XCTAssertTrue(pemOk)
        // Without one: refused at the handshake, a Network error saying what is missing.
        let without = try Client(config: builder().build())
        let e = await expectError { try await without.health() }
        guard case .Network(let reason, _, _, _, _, _)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertTrue(reason.contains("requires a client certificate"), reason)
        // One issued by another CA: refused.
        let otherKey = try XCTUnwrap(other.info.clientKeyFile)
        let wrong = try Client(config: builder().clientCert(path: XCTUnwrap(other.info.clientCertFile))
            .clientKey(path: otherKey).build())
        let e2 = await expectError { try await wrong.health() }
        guard case .Network(let reason2, _, _, _, _, _)? = e2 else { return XCTFail("\(String(describing: e2))") }
        XCTAssertTrue(reason2.contains("does not accept the client certificate"), reason2)
        // Bad settings: InvalidInput naming the setting, never quoting the key.
        let keyLine = try String(contentsOfFile: key, encoding: .utf8).split(separator: "\n")[1]
        func fails(_ field: String, _ make: () throws -> Void) {
            do {
                try make()
                XCTFail("no error for \(field)")
            } catch let error as NecIdError {
                guard case .InvalidInput(let reason, _, _, _, _, let f) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(f, field, reason)
                XCTAssertFalse(reason.contains(keyLine), reason)
            } catch {
                XCTFail("\(error)")
            }
        }
        fails("client_key") { _ = try builder().clientCert(path: cert).build() }
        fails("client_cert") { _ = try builder().clientKey(path: key).build() }
        fails("client_cert") { _ = try Client(config: builder().clientCert(path: "/nonexistent/client.pem").clientKey(path: key).build()) }
        fails("client_key") { _ = try Client(config: builder().clientCert(path: cert).clientKey(path: otherKey).build()) }
    }

    func testAPanicInsideARequestIsAServerError() async throws {
        let c = try SharedEmulator.get().client()
        let e = await expectError { try await c.unregisterSubject(subjectId: "necid-test-panic") }
        guard case .Server(let reason, _, _, _, _, _)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertTrue(reason.contains("deliberate panic inside a request"), reason)
        let ok = try await c.health().ok
        XCTAssertTrue(ok)
    }
}

/// No system store: `SSL_CERT_FILE`/`SSL_CERT_DIR` point into an empty directory (they replace
/// the system store on Linux), set in this process only for the duration of the test.
final class NoTrustStoreTests: XCTestCase {
    func testHttpWorksHttpsExplainsBundledBuilds() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("necid-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        setenv("SSL_CERT_FILE", dir.appendingPathComponent("none.pem").path, 1)
        setenv("SSL_CERT_DIR", dir.path, 1)
        defer {
            unsetenv("SSL_CERT_FILE"); unsetenv("SSL_CERT_DIR")
            try? FileManager.default.removeItem(at: dir)
        }
        let http = try SharedEmulator.get().client()
        let ok = try await http.health().ok
        XCTAssertTrue(ok)
        let tls = try SharedEmulator.tls()
        let https = try Client(config: tls.builder().retryPolicy(maxAttempts: 1, baseDelay: 0.01, maxDelay: 0.01).build())
        let e = await expectError { try await https.health() }
        guard case .InvalidInput(let reason, _, _, _, _, _)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertTrue(reason.hasPrefix("tls_roots:"), reason)
        XCTAssertTrue(reason.contains("no CA certificates found in the system store"), reason)
        XCTAssertTrue(reason.contains("tls_roots = bundled"), reason)
        let bundled = try Client(config: tls.builder().tlsRoots(value: .bundled).build())
        let b = await expectError { try await bundled.health() }
        guard case .Network(let r2, _, _, _, _, _)? = b else { return XCTFail("\(String(describing: b))") }
        XCTAssertTrue(r2.contains("bundled Mozilla roots"), r2)
    }
}
