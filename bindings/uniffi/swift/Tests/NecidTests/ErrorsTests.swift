import Foundation
import XCTest
@testable import Necid

/// Every error kind with its fields (mirrors the Kotlin ErrorsTest).
final class ErrorsTests: XCTestCase {
    private func assertFromService(_ e: NecIdError?, _ kind: String, _ status: Int32, _ code: Int64?, _ type: String?,
                                   file: StaticString = #filePath, line: UInt = #line) {
        guard let d = e?.details() else { return XCTFail("no error", file: file, line: line) }
        XCTAssertEqual(d.kind, kind, file: file, line: line)
        XCTAssertEqual(d.status, status, file: file, line: line)
        XCTAssertEqual(d.errorCode, code, file: file, line: line)
        XCTAssertEqual(d.errorType, type, file: file, line: line)
        XCTAssertNotNil(d.requestId, file: file, line: line)
        XCTAssertFalse(d.reason.isEmpty, file: file, line: line)
    }

    func testInvalidInput() async throws {
        let c = try SharedEmulator.get().client()
        let e = await expectError { try await c.registerSubject(face: Data()) }
        guard case .InvalidInput(let reason, let status, let code, let type, let rid, let field)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertTrue(reason.contains("face"))
        XCTAssertNil(status); XCTAssertNil(code); XCTAssertNil(type); XCTAssertNil(rid)
        XCTAssertEqual(field, "face")
        let bad = await expectError { try await c.listSubjects(start: 0, length: 0) }
        XCTAssertEqual(bad?.kind, "InvalidInput")
        XCTAssertEqual(bad?.field, "length")
    }

    func testAuth() async throws {
        let em = try SharedEmulator.get()
        let wrong = try Client(config: em.builder().secretAccessKey(value: "wrong-secret").apiKey(value: em.info.apiKey).build())
        let e = await expectError { try await wrong.listTags() }
        XCTAssertEqual(e?.kind, "Auth")
        XCTAssertEqual(e?.details().status, 403)
        XCTAssertFalse(String(describing: e).contains("wrong-secret"))
    }

    func testNotFound() async throws {
        let c = try SharedEmulator.get().client()
        let e = await expectError { try await c.unregisterSubject(subjectId: "no-such-subject") }
        XCTAssertEqual(e?.kind, "NotFound")
        XCTAssertEqual(e?.details().status, 404)
    }

    func testFieldAccessorsAndDescription() async throws {
        let (_, c) = try await SharedEmulator.get().galleryClient()
        let caught = await expectError { try await c.registerSubject(face: bmp(width: 64, height: 64)) }
        let e = try XCTUnwrap(caught)
        let d = e.details()
        XCTAssertEqual([e.kind, e.reason], [d.kind, d.reason])
        XCTAssertEqual(e.status, 400)
        XCTAssertEqual(e.errorCode, 2001)
        XCTAssertEqual(e.errorType, "NoFace")
        let rid = try XCTUnwrap(e.requestId)
        XCTAssertEqual(rid, d.requestId)
        // The case's associated values are the same fields.
        guard case .NoFace(let reason, let status, let code, _, let requestId, _) = e else { return XCTFail("\(e)") }
        XCTAssertEqual(reason, e.reason); XCTAssertEqual(status, 400); XCTAssertEqual(code, 2001); XCTAssertEqual(requestId, rid)
        let text = "NoFace: \(d.reason) (status 400, errorCode 2001, errorType NoFace, requestId \(rid))"
        XCTAssertEqual(String(describing: e), text)
        XCTAssertEqual(e.localizedDescription, text)
        XCTAssertEqual("\(e as Error)", text)
        let local = NecIdError.InvalidInput(reason: "bad length", status: nil, errorCode: nil, errorType: nil, requestId: nil, field: nil)
        XCTAssertEqual(local.description, "InvalidInput: bad length")
        let named = NecIdError.InvalidInput(reason: "bad", status: nil, errorCode: nil, errorType: nil, requestId: nil, field: "length")
        XCTAssertEqual(named.description, "InvalidInput: bad (field length)")
        XCTAssertEqual(named.field, "length")
        XCTAssertNil(local.status)
    }

    func testServiceErrors() async throws {
        let (_, c) = try await SharedEmulator.get().galleryClient()
        var notJpeg = Data([0xFF, 0xD8, 0xFF, 0xE0]); notJpeg.append(Data(repeating: 7, count: 64))
        assertFromService(await expectError { try await c.registerSubject(face: notJpeg) }, "InvalidRequest", 400, 1001, "InvalidRequest")
        try await c.createTag(name: "dup")
        assertFromService(await expectError { try await c.createTag(name: "dup") }, "Duplicate", 400, 1002, "Duplicate")
        assertFromService(await expectError { try await c.registerSubject(face: bmp(width: 64, height: 64)) }, "NoFace", 400, 2001, "NoFace")
        assertFromService(await expectError { try await c.registerSubject(face: bmp(width: 256, height: 128, seed: 1)) },
                          "MultipleFaces", 400, 2003, "MultipleFaces")
        let (_, strict) = try await SharedEmulator.get().galleryClient(minQuality: 0.9)
        assertFromService(await expectError { try await strict.registerSubject(face: bmp(width: 48, height: 48, seed: 2)) },
                          "PoorQuality", 400, 2002, "PoorQuality")
    }

    func testTimeoutThrottledServerAndDecode() async throws {
        let server = try FaultServer { path in
            switch path {
            case "/v1.1/tags": return (400, #"{"message":"gave up","errorCode":"1003","errorType":"Timeout"}"#, ["x-amzn-requestid": "req-timeout"])
            case "/v1.1/health": return (429, #"{"message":"slow down"}"#, ["x-amzn-requestid": "req-429"])
            case "/v1.1/subjects": return (503, #"{"message":"down"}"#, ["x-amzn-requestid": "req-503"])
            default: return (200, "this is not json", ["x-amzn-requestid": "req-decode"])
            }
        }
        let c = try server.client()
        let t = await expectError { try await c.listTags() }
        guard case .Timeout(let reason, let status, let code, let type, let rid, _)? = t else { return XCTFail("\(String(describing: t))") }
        XCTAssertEqual(reason, "gave up"); XCTAssertEqual(status, 400); XCTAssertEqual(code, 1003)
        XCTAssertEqual(type, "Timeout"); XCTAssertEqual(rid, "req-timeout")
        let th = await expectError { try await c.health() }
        XCTAssertEqual(th?.kind, "Throttled"); XCTAssertEqual(th?.details().requestId, "req-429")
        let s = await expectError { try await c.listSubjects() }
        XCTAssertEqual(s?.kind, "Server"); XCTAssertEqual(s?.details().status, 503)
        let d = await expectError { try await c.listEvents(subjectId: "s1") }
        XCTAssertEqual(d?.kind, "Decode"); XCTAssertEqual(d?.details().status, 200)
    }

    func testNetworkAndTimedOut() async throws {
        // A port that was just listening and is closed again: connection refused.
        var closed: FaultServer? = try FaultServer { _ in nil }
        let endpoint = closed!.endpoint
        closed = nil
        let refused = try Client(config: ConfigBuilder().endpoint(value: endpoint)
            .retryPolicy(maxAttempts: 1, baseDelay: 0.001, maxDelay: 0.001).build())
        let n = await expectError { try await refused.health() }
        XCTAssertEqual(n?.kind, "Network")
        XCTAssertNil(n?.details().status)

        let hang = try FaultServer { _ in nil }
        let slow = try hang.client(requestTimeout: 0.3)
        let t = await expectError { try await slow.health() }
        XCTAssertEqual(t?.kind, "TimedOut")
    }

    func testWaitDeadlineAndListenerFailure() async throws {
        let server = try FaultServer { _ in
            (200, #"{"batchId":"b1","processed":[{"id":"op1","filename":"a.jpg","status":"New"}]}"#, [:])
        }
        let c = try server.client()
        let e = await expectError {
            try await c.waitForBulkRegister(batchId: "b1", options: WaitOptions(pollInterval: 0.005, timeout: 0.06))
        }
        XCTAssertEqual(e?.kind, "TimedOut")
        struct ListenerBug: Error {}
        let failed = await expectError {
            try await c.waitForBulkRegister(batchId: "b1") { _ in throw ListenerBug() }
        }
        XCTAssertEqual(failed?.kind, "InvalidInput")
    }
}
