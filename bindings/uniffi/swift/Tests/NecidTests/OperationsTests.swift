import Foundation
import XCTest
@testable import Necid

/// Every operation of the client against the emulator (mirrors the Kotlin OperationsTest).
final class OperationsTests: XCTestCase {
    func testHealth() async throws {
        let c = try SharedEmulator.get().client()
        let h = try await c.health()
        XCTAssertEqual(h.status.uppercased(), "OK")
        XCTAssertTrue(h.ok)
        let anon = try Client(config: ConfigBuilder().endpoint(value: try SharedEmulator.get().info.endpoint).build())
        let unsigned = try await anon.health()
        XCTAssertTrue(unsigned.ok)
    }

    func testSubjectLifecycle() async throws {
        let (_, c) = try await SharedEmulator.get().galleryClient()
        try await c.createTag(name: "staff")
        try await c.createTag(name: "vip")
        let reg = try await c.registerSubject(face: try face("obama.jpg"), tags: ["staff"])
        XCTAssertFalse(reg.subjectId.isEmpty)
        let attrs = try XCTUnwrap(reg.attributes)
        XCTAssertNotNil(attrs.faceArea)
        let updated = try await c.updateSubject(subjectId: reg.subjectId, face: try face("obama2.jpg"), tags: ["staff", "vip"])
        XCTAssertEqual(updated.subjectId, reg.subjectId)
        let events = try await c.listEvents(subjectId: reg.subjectId)
        XCTAssertEqual(events.subjectId, reg.subjectId)
        XCTAssertFalse(events.events.isEmpty)
        try await c.unregisterSubject(subjectId: reg.subjectId)
        let e = await expectError { try await c.listEvents(subjectId: reg.subjectId) }
        guard case .NotFound(_, let status, _, _, _, _)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertEqual(status, 404)
    }

    func testEventLifecycle() async throws {
        let (_, c) = try await SharedEmulator.get().galleryClient()
        try await c.createTag(name: "second")
        let subject = try await c.registerSubject(face: try face("biden.jpg"))
        let ev = try await c.registerEvent(subjectId: subject.subjectId, face: try face("obama3.jpg"), tags: ["second"])
        XCTAssertEqual(ev.subjectId, subject.subjectId)
        let eventId = try XCTUnwrap(ev.eventId)
        let before = try await c.listEvents(subjectId: subject.subjectId).events.map(\.eventId)
        XCTAssertTrue(before.contains(eventId))
        let upd = try await c.updateEvent(subjectId: subject.subjectId, eventId: eventId, face: try face("obama2.jpg"))
        XCTAssertEqual(upd.eventId, eventId)
        try await c.unregisterEvent(subjectId: subject.subjectId, eventId: eventId)
        let after = try await c.listEvents(subjectId: subject.subjectId).events.map(\.eventId)
        XCTAssertFalse(after.contains(eventId))
    }

    func testExtractSearchVerify() async throws {
        let (_, c) = try await SharedEmulator.get().galleryClient()
        let faces = try await c.extractFaces(image: try face("obama.jpg"))
        XCTAssertEqual(faces.count, 1)
        XCTAssertNotNil(faces[0].leftEyeCenter)
        try await c.createTag(name: "space")
        try await c.createTag(name: "unused")
        let reg = try await c.registerSubject(face: try face("astronaut.png"), tags: ["space"])
        let hit = try await c.search(probe: try face("astronaut.png"), threshold: 9000, limit: 5)
        XCTAssertEqual(hit.candidates.first?.subjectId, reg.subjectId)
        XCTAssertEqual(hit.candidates.first?.score, 9999)
        let none = try await c.search(probe: try face("astronaut.png"), tags: ["unused"])
        XCTAssertTrue(none.candidates.isEmpty)
        let yes = try await c.verifySubject(subjectId: reg.subjectId, probe: try face("astronaut.png"))
        XCTAssertTrue(yes.verified)
        XCTAssertEqual(yes.score, 9999)
        let no = try await c.verifySubject(subjectId: reg.subjectId, probe: try face("biden.jpg"))
        XCTAssertFalse(no.verified)
        let same = try await c.verifyFaces(face: try face("obama.jpg"), probe: try face("obama.jpg"))
        XCTAssertEqual(same.score, 9999)
        let different = try await c.verifyFaces(face: try face("obama.jpg"), probe: try face("biden.jpg"))
        XCTAssertTrue(!different.verified || (different.score ?? 0) < 9000, "\(different)")
    }

    func testTags() async throws {
        let (_, c) = try await SharedEmulator.get().galleryClient()
        try await c.createTag(name: "t1")
        var names = try await c.listTags().map(\.name)
        XCTAssertTrue(names.contains("t1"))
        try await c.renameTag(oldName: "t1", newName: "t2")
        names = try await c.listTags().map(\.name)
        XCTAssertEqual(names.contains("t2"), true)
        XCTAssertEqual(names.contains("t1"), false)
        try await c.deleteTag(name: "t2")
        names = try await c.listTags().map(\.name)
        XCTAssertFalse(names.contains("t2"))
    }

    func testListSubjectsAndPaginator() async throws {
        let (_, c) = try await SharedEmulator.get().galleryClient()
        var ids = Set<String>()
        for f in ["obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg", "astronaut.png"] {
            ids.insert(try await c.registerSubject(face: try face(f)).subjectId)
        }
        let first = try await c.listSubjects(start: 0, length: 2, dir: .asc)
        XCTAssertEqual(first.subjects.count, 2)
        XCTAssertEqual(first.total, 5)
        var sizes: [Int] = []
        var seen = Set<String>()
        for try await page in c.subjectPages(length: 2) {
            sizes.append(page.subjects.count)
            page.subjects.forEach { seen.insert($0.subjectId) }
        }
        XCTAssertEqual(sizes, [2, 2, 1])
        XCTAssertEqual(seen, ids)
        var entries = 0
        for try await _ in c.subjectEntries(length: 3, dir: .desc) { entries += 1 }
        XCTAssertEqual(entries, 5)
        let p = c.subjectsPaginator(length: 10, dir: nil)
        let onlyPage = try await p.nextPage()
        XCTAssertEqual(onlyPage?.subjects.count, 5)
        let end = try await p.nextPage()
        XCTAssertNil(end)

        // A paginator is itself an AsyncSequence (a cursor: it continues where it stopped);
        // subjectPages starts over on each iteration.
        let cursor = c.subjectsPaginator(length: 2)
        var firstTwo = 0
        for try await page in cursor {
            firstTwo += page.subjects.count
            if firstTwo >= 2 { break }
        }
        var rest = 0
        for try await page in cursor { rest += page.subjects.count }
        XCTAssertEqual([firstTwo, rest], [2, 3])
        let pages = c.subjectPages(length: 4)
        for _ in 0..<2 {
            var rows = 0
            for try await page in pages { rows += page.subjects.count }
            XCTAssertEqual(rows, 5)
        }
    }

    func testBulkRegister() async throws {
        let (g, c) = try await SharedEmulator.get().galleryClient()
        try await c.createTag(name: "bulk")
        let bucket = URL(fileURLWithPath: try SharedEmulator.get().info.bucketDir).appendingPathComponent(g.id)
        try FileManager.default.createDirectory(at: bucket, withIntermediateDirectories: true)
        try face("obama.jpg").write(to: bucket.appendingPathComponent("one.jpg"))
        try face("biden.jpg").write(to: bucket.appendingPathComponent("two.jpg"))
        let batchId = try await c.bulkRegister(registrations: [
            BulkRegistration(filename: "one.jpg", tags: ["bulk"]),
            BulkRegistration(filename: "two.jpg"),
            BulkRegistration(filename: "missing.jpg"),
        ])
        XCTAssertFalse(batchId.isEmpty)
        let polls = Counter()
        let done = try await c.waitForBulkRegister(batchId: batchId, options: WaitOptions(pollInterval: 0.02)) { _ in
            polls.increment()
        }
        XCTAssertTrue(done.done)
        XCTAssertEqual(done.total, 3)
        XCTAssertEqual(done.succeeded, 2)
        XCTAssertEqual(done.failed, 1)
        XCTAssertGreaterThanOrEqual(polls.value, 1)
        let failed = try XCTUnwrap(done.records.first { !$0.succeeded })
        XCTAssertEqual(failed.filename, "missing.jpg")
        let page = try await c.bulkRegisterProgress(batchId: batchId)
        XCTAssertEqual(page.batchId, batchId)
        var records = 0
        for try await p in c.bulkProgressPages(batchId: batchId) { records += p.processed.count }
        XCTAssertEqual(records, 3)
        records = 0
        for try await p in c.bulkProgressPaginator(batchId: batchId) { records += p.processed.count }
        XCTAssertEqual(records, 3)
    }

    func testTenantGalleriesAndApplications() async throws {
        let t = try SharedEmulator.get().tenant()
        let g = try await t.createGallery(gallery: NewGallery(name: "tenant-\(UUID().uuidString)", description: "d", size: 500))
        let key = try XCTUnwrap(g.apiKey).expose()
        XCTAssertFalse(String(describing: g).contains(key), "description must not show the API key")
        let listed = try await t.listGalleries()
        XCTAssertTrue(listed.contains { $0.id == g.id })
        let details = try await t.getGallery(galleryId: g.id)
        XCTAssertEqual(details.gallery.id, g.id)
        let renamed = try await t.updateGallery(galleryId: g.id, update: GalleryUpdate(name: "renamed", size: 600))
        XCTAssertEqual(renamed.name, "renamed")
        let app = try await t.createApplication(application: NewApplication(name: "app", galleryId: g.id, faceMinimumQualityScore: 0.6))
        XCTAssertNotNil(app.apiKey)
        let fetched = try await t.getApplication(applicationId: app.id)
        XCTAssertEqual(fetched.id, app.id)
        let apps = try await t.listApplications()
        XCTAssertTrue(apps.contains { $0.id == app.id })
        let upd = try await t.updateApplication(applicationId: app.id, update: ApplicationUpdate(description: "described"))
        XCTAssertEqual(upd.description, "described")
        try await t.deleteApplication(applicationId: app.id)
        try await t.deleteGallery(galleryId: g.id)
        let e = await expectError { try await t.getGallery(galleryId: g.id) }
        XCTAssertEqual(e?.kind, "NotFound")
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func increment() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
