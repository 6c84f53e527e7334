import Foundation
import XCTest
@testable import Necid
import NecidTesting
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Issue 16's spec gaps against emulators of the tests' own (NecidTesting): listSubjects'
/// default length (1000, the reference's), tags changed and cleared without a new face (nil =
/// not sent, [] = cleared), renameTag in both reference forms (`renameTagForm`; the default
/// falls back on a v1.1 deployment, `--rename-tag-routes`), and a bulk record's raw
/// `attributesJson` kept when it does not decode (a `rewrite` fault rule).
final class SpecGapsTests: XCTestCase {
    private func found(_ c: Client, _ tags: [String]) async throws -> [String] {
        try await c.search(probe: try face("obama.jpg"), tags: tags).candidates.map { $0.subjectId }
    }

    /// The recorded API requests (admin API), as JSON objects.
    private func recorded(_ emu: NecidTesting.Emulator, method: String) async throws -> [[String: Any]] {
        var req = URLRequest(url: URL(string: emu.info.adminEndpoint + "/requests?method=" + method)!)
        req.setValue("Bearer " + emu.info.adminToken, forHTTPHeaderField: "Authorization")
        let data: Data = try await withCheckedThrowingContinuation { cont in
            URLSession.shared.dataTask(with: req) { d, _, err in
                if let err = err { cont.resume(throwing: err) } else { cont.resume(returning: d ?? Data()) }
            }.resume()
        }
        let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return obj?["requests"] as? [[String: Any]] ?? []
    }

    func testListSubjectsAsksForTheReferenceDefaultLength() async throws {
        let emu = try startEmulator(EmulatorOptions(record: true, binary: devBinary()))
        let c = try emu.client()
        _ = try await c.registerSubject(face: try face("obama.jpg"))
        let page = try await c.listSubjects()
        XCTAssertEqual(page.subjects.count, 1)
        var rows = 0
        for try await p in c.subjectPages() { rows += p.subjects.count }
        XCTAssertEqual(rows, 1)
        let queries = try await recorded(emu, method: "GET")
            .filter { ($0["path"] as? String) == "/v1.1/subjects" }
            .compactMap { $0["query"] as? String }
        XCTAssertEqual(queries.count, 2)
        XCTAssertTrue(queries.allSatisfy { $0.contains("length=1000") }, "\(queries)")
    }

    func testTagsChangeAndClearWithoutANewFace() async throws {
        let emu = try startEmulator(EmulatorOptions(binary: devBinary()))
        let c = try emu.client()
        try await c.createTag(name: "staff")
        try await c.createTag(name: "visitor")
        let reg = try await c.registerSubject(face: try face("obama.jpg"), tags: ["staff"])
        let sid = reg.subjectId
        let up = try await c.updateSubject(subjectId: sid, face: nil, tags: ["visitor"])
        XCTAssertEqual(up.eventId, reg.eventId)
        let visitors = try await found(c, ["visitor"])
        XCTAssertEqual(visitors, [sid])
        let staff = try await found(c, ["staff"])
        XCTAssertEqual(staff, [])
        _ = try await c.updateSubject(subjectId: sid, face: try face("obama.jpg")) // tags nil: kept
        let kept = try await found(c, ["visitor"])
        XCTAssertEqual(kept, [sid])
        _ = try await c.updateSubject(subjectId: sid, tags: []) // cleared
        let cleared = try await found(c, ["visitor"])
        XCTAssertEqual(cleared, [])
        let any = try await found(c, [])
        XCTAssertEqual(any, [sid])

        let event = try await c.listEvents(subjectId: sid).events[0].eventId
        _ = try await c.updateEvent(subjectId: sid, eventId: event, face: nil, tags: ["staff"])
        let tagged = try await found(c, ["staff"])
        XCTAssertEqual(tagged, [sid])
        _ = try await c.updateEvent(subjectId: sid, eventId: event, tags: [])
        let untagged = try await found(c, ["staff"])
        XCTAssertEqual(untagged, [])

        let e = await expectError { try await c.updateSubject(subjectId: sid) }
        guard case .InvalidInput(_, _, _, _, _, let field)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertEqual(field, "face")
    }

    func testRenameTagAgainstEitherReferenceRevision() async throws {
        for routes in ["both", "body", "path"] {
            let emu = try NecidTesting.Emulator(EmulatorOptions(binary: devBinary(), extraArgs: ["--rename-tag-routes", routes]))
            defer { emu.stop() }
            let c = try emu.client()
            try await c.createTag(name: "staff")
            try await c.renameTag(oldName: "staff", newName: "employees") // .auto, the default
            try await c.renameTag(oldName: "employees", newName: "team a")
            var names = try await c.listTags().map { $0.name }
            XCTAssertEqual(names, ["team a"], routes)
            for (form, served) in [(RenameTagForm.body, routes != "path"), (RenameTagForm.path, routes != "body")] {
                let fixed = try Client(config: try emu.builder().renameTagForm(value: form).build())
                if served {
                    try await fixed.renameTag(oldName: "team a", newName: "team b")
                    try await fixed.renameTag(oldName: "team b", newName: "team a")
                } else {
                    let e = await expectError { try await fixed.renameTag(oldName: "team a", newName: "team b") }
                    guard case .Auth(_, let status, _, _, _, _)? = e else { return XCTFail("\(routes): \(String(describing: e))") }
                    XCTAssertEqual(status, 403)
                }
            }
            names = try await c.listTags().map { $0.name }
            XCTAssertEqual(names, ["team a"], routes)
            let ghost = await expectError { try await c.renameTag(oldName: "ghost", newName: "spirit") }
            guard case .NotFound? = ghost else { return XCTFail("\(routes): \(String(describing: ghost))") }
        }
        XCTAssertEqual(try ConfigBuilder().build().renameTagForm(), .auto)
    }

    func testBulkProgressKeepsAnUnreadableAttributesJson() async throws {
        let rewrite = """
            [{"method": "GET", "path": "/v1.1/jobs/bulkregister/**",
              "fault": "rewrite", "set": {"/processed/*/attributesJson": "..."}}]
            """
        let emu = try startEmulator(EmulatorOptions(faults: rewrite, binary: devBinary()))
        let bucket = URL(fileURLWithPath: emu.info.bucketDir).appendingPathComponent("default")
        try FileManager.default.createDirectory(at: bucket, withIntermediateDirectories: true)
        try face("obama.jpg").write(to: bucket.appendingPathComponent("obama.jpg"))
        let c = try emu.client()
        let batch = try await c.bulkRegister(registrations: [BulkRegistration(filename: "obama.jpg")])
        let done = try await c.waitForBulkRegister(batchId: batch, options: WaitOptions(pollInterval: 0.02)) { _ in }
        XCTAssertEqual(done.records.count, 1)
        XCTAssertTrue(done.records[0].succeeded)
        XCTAssertNil(done.records[0].attributes)
        XCTAssertEqual(done.records[0].attributesJson, "...")

        let plain = try startEmulator(EmulatorOptions(binary: devBinary()))
        let bucket2 = URL(fileURLWithPath: plain.info.bucketDir).appendingPathComponent("default")
        try FileManager.default.createDirectory(at: bucket2, withIntermediateDirectories: true)
        try face("obama.jpg").write(to: bucket2.appendingPathComponent("obama.jpg"))
        let p = try plain.client()
        let b2 = try await p.bulkRegister(registrations: [BulkRegistration(filename: "obama.jpg")])
        let d2 = try await p.waitForBulkRegister(batchId: b2, options: WaitOptions(pollInterval: 0.02)) { _ in }
        XCTAssertNotNil(d2.records[0].attributes)
        XCTAssertNil(d2.records[0].attributesJson)
    }
}
