import Foundation
import XCTest
@testable import Necid
import NecidTesting

/// Refreshable credentials through the UniFFI callback interface: a provider asked before a
/// request when the client holds none or they expire within 10 s, a rotation in the middle of
/// a bulk wait (an emulator of the test's own through NecidTesting that also accepts the
/// rotated key, `--extra-access-key`; its first progress poll answers 503 once, so the wait
/// is retrying when the provider rotates), and a throwing provider failing the call.
final class CredentialsTests: XCTestCase {
    final class Counting: CredentialsProvider, @unchecked Sendable {
        let id: String, secret: String, validFor: TimeInterval?
        private let lock = NSLock()
        private var n = 0
        var calls: Int { lock.lock(); defer { lock.unlock() }; return n }
        init(id: String, secret: String, validFor: TimeInterval?) {
            self.id = id; self.secret = secret; self.validFor = validFor
        }
        func credentials() throws -> Credentials {
            lock.lock(); n += 1; lock.unlock()
            return Credentials(accessKeyId: id, secretAccessKey: secret, sessionToken: nil,
                               expiration: validFor.map { Date().addingTimeInterval($0) })
        }
    }

    /// The dev key for the first `rotateAfter` answers, then (`id`, `secret`); never cached.
    final class Rotating: CredentialsProvider, @unchecked Sendable {
        let first: (String, String), then: (String, String), rotateAfter: Int
        private let lock = NSLock()
        private var n = 0, r = 0
        var rotated: Int { lock.lock(); defer { lock.unlock() }; return r }
        init(first: (String, String), then: (String, String), rotateAfter: Int) {
            self.first = first; self.then = then; self.rotateAfter = rotateAfter
        }
        func credentials() throws -> Credentials {
            lock.lock()
            n += 1
            let rotate = n > rotateAfter
            if rotate { r += 1 }
            lock.unlock()
            let key = rotate ? then : first
            return Credentials(accessKeyId: key.0, secretAccessKey: key.1, sessionToken: "session-token-value",
                               expiration: Date())
        }
    }

    final class Broken: CredentialsProvider, @unchecked Sendable {
        func credentials() throws -> Credentials {
            throw NecIdError.Auth(reason: "token service unavailable", status: nil, errorCode: nil,
                                  errorType: nil, requestId: nil, field: nil)
        }
    }

    private func client(_ p: CredentialsProvider) throws -> Client {
        let em = try SharedEmulator.get()
        return try Client(config: ConfigBuilder().endpoint(value: em.info.endpoint)
            .tenantEndpoint(value: em.info.tenantEndpoint).apiKey(value: em.info.apiKey)
            .maxAttempts(value: 1).credentialsProvider(provider: p).build())
    }

    func testCredentialsAreCachedUntilShortlyBeforeExpiry() async throws {
        let em = try SharedEmulator.get()
        let hour = Counting(id: em.info.accessKeyId, secret: em.info.secretAccessKey, validFor: 3600)
        let c = try client(hour)
        for _ in 0..<3 { _ = try await c.listTags() }
        XCTAssertEqual(hour.calls, 1)
        let soon = Counting(id: em.info.accessKeyId, secret: em.info.secretAccessKey, validFor: 5)
        let s = try client(soon)
        for _ in 0..<3 { _ = try await s.listTags() }
        XCTAssertEqual(soon.calls, 3)
    }

    func testAThrowingProviderFailsTheCall() async throws {
        let c = try client(Broken())
        let e = await expectError { try await c.listTags() }
        guard case .Auth(let reason, _, _, _, _, _)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertTrue(reason.contains("token service unavailable"), reason)
    }

    private let rotatedId = "AKIDROTATEDEXAMPLE"
    private let rotatedSecret = "rotated-secret-value-0123456789"

    /// A bulk wait whose provider rotates to `then` after two answers.
    private func bulkWait(then: (String, String)) async throws -> (Result<BulkProgress, Error>, Rotating) {
        let faults = """
            [{"method": "GET", "path": "/v1.1/jobs/bulkregister/**",
              "fault": "error", "status": 503, "retryAfter": 0, "count": 1}]
            """
        let emu = try startEmulator(EmulatorOptions(faults: faults, binary: devBinary(),
                                                    extraArgs: ["--extra-access-key", "\(rotatedId):\(rotatedSecret)"]))
        let bucket = URL(fileURLWithPath: emu.info.bucketDir).appendingPathComponent("default")
        try FileManager.default.createDirectory(at: bucket, withIntermediateDirectories: true)
        try face("obama.jpg").write(to: bucket.appendingPathComponent("obama.jpg"))
        try face("biden.jpg").write(to: bucket.appendingPathComponent("biden.jpg"))
        let p = Rotating(first: (emu.info.accessKeyId, emu.info.secretAccessKey), then: then, rotateAfter: 2)
        let c = try Client(config: ConfigBuilder().endpoint(value: emu.info.endpoint)
            .tenantEndpoint(value: emu.info.tenantEndpoint).apiKey(value: emu.info.apiKey)
            .retryPolicy(maxAttempts: 3, baseDelay: 0.005, maxDelay: 0.005)
            .credentialsProvider(provider: p).build())
        do {
            let batch = try await c.bulkRegister(registrations: [
                BulkRegistration(filename: "obama.jpg"), BulkRegistration(filename: "biden.jpg"),
            ])
            let done = try await c.waitForBulkRegister(batchId: batch, options: WaitOptions(pollInterval: 0.02)) { _ in }
            return (.success(done), p)
        } catch {
            return (.failure(error), p)
        }
    }

    func testARotationInTheMiddleOfABulkWait() async throws {
        let (result, p) = try await bulkWait(then: (rotatedId, rotatedSecret))
        let done = try result.get()
        XCTAssertTrue(done.done)
        XCTAssertEqual(done.succeeded, 2)
        XCTAssertGreaterThanOrEqual(p.rotated, 1)
    }

    func testAfterTheRotationTheNewKeySigns() async throws {
        let (result, p) = try await bulkWait(then: ("AKIDUNKNOWN", "unknown-secret"))
        guard case .failure(let e) = result, case NecIdError.Auth? = e as? NecIdError else {
            return XCTFail("\(result)")
        }
        XCTAssertFalse("\(e)".contains("unknown-secret"))
        XCTAssertEqual(p.rotated, 1)
    }
}
