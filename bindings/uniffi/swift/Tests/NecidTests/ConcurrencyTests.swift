import Foundation
import XCTest
@testable import Necid

/// Concurrency, cancellation and lifetime (mirrors the Kotlin ConcurrencyTest).
final class ConcurrencyTests: XCTestCase {
    func testFiftyConcurrentTasksShareOneClient() async throws {
        let (_, c) = try await SharedEmulator.get().galleryClient()
        let probe = try face("obama.jpg")
        let registered = try await c.registerSubject(face: probe)
        let results: [Bool] = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<50 {
                group.addTask {
                    switch i % 4 {
                    case 0: return try await c.health().ok
                    case 1: return try await c.search(probe: probe, threshold: 9000).candidates.first?.subjectId == registered.subjectId
                    case 2: return try await c.verifySubject(subjectId: registered.subjectId, probe: probe).verified
                    default:
                        let list = try await c.listEvents(subjectId: registered.subjectId)
                        return !list.events.isEmpty
                    }
                }
            }
            var all: [Bool] = []
            for try await r in group { all.append(r) }
            return all
        }
        XCTAssertEqual(results, Array(repeating: true, count: 50))
    }

    func testCancellingACallLeavesTheClientUsable() async throws {
        let server = try FaultServer { path in
            path == "/v1.1/tags" ? nil : (200, #"{"status":"OK"}"#, [:])
        }
        let c = try server.client(requestTimeout: 5)
        let task = Task { try await c.listTags() }
        task.cancel()
        _ = await task.result // cancelled, or failed once the request timed out
        let h = try await c.health()
        XCTAssertTrue(h.ok)
    }

    func testCancellingStopsPagingAtAPageBoundary() async throws {
        let (_, c) = try await SharedEmulator.get().galleryClient()
        for f in ["obama.jpg", "biden.jpg", "astronaut.png"] { _ = try await c.registerSubject(face: try face(f)) }
        let task = Task { () async throws -> Int in
            var pages = 0
            for try await _ in c.subjectPages(length: 1) {
                pages += 1
                withUnsafeCurrentTask { $0?.cancel() }
            }
            return pages
        }
        do {
            let pages = try await task.value
            XCTFail("paging went on after cancellation: \(pages) pages")
        } catch is CancellationError {
        }
        // Not cancelled: all three pages.
        var pages = 0
        for try await _ in c.subjectPages(length: 1) { pages += 1 }
        XCTAssertEqual(pages, 3)
    }

    func testCancellingStopsWaitForBulkRegister() async throws {
        // A mock: the emulator's batches finish at once; this one never does.
        let server = try FaultServer { _ in
            (200, #"{"batchId":"b1","processed":[{"id":"op1","filename":"a.jpg","status":"New"}]}"#, [:])
        }
        let c = try server.client()
        let polls = Counter()
        let task = Task {
            try await c.waitForBulkRegister(batchId: "b1", options: WaitOptions(pollInterval: 0.02, maxPollInterval: 0.02, timeout: 60)) { _ in
                polls.increment()
            }
        }
        while polls.value < 2 { try await Task.sleep(nanoseconds: 10_000_000) }
        let started = Date()
        task.cancel()
        do {
            let p = try await task.value
            XCTFail("the wait ended without cancellation: \(p)")
        } catch is CancellationError {
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "the wait stops at its next poll")
    }

    func testReleasingTheClientFreesIt() async throws {
        var c: Client? = try SharedEmulator.get().client()
        weak var weakRef = c
        let h = try await c!.health()
        XCTAssertTrue(h.ok)
        c = nil
        XCTAssertNil(weakRef, "the last reference frees the Rust object")
    }
}
