// Hand-written Swift conveniences over the generated bindings (Necid.swift). They only
// loop over or adapt generated calls: paging and polling logic stays in the Rust core.
import Foundation

extension Client {
    /// Every page of list subjects, `length` rows at a time, as an async sequence.
    public func subjectPages(length: UInt32 = 100, dir: SortDirection? = nil) -> AsyncThrowingStream<SubjectPage, Error> {
        let pages = subjectsPaginator(length: length, dir: dir)
        return AsyncThrowingStream(unfolding: { try await pages.nextPage() })
    }

    /// Every subject/event row across all pages.
    public func subjectEntries(length: UInt32 = 100, dir: SortDirection? = nil) -> AsyncThrowingStream<SubjectEntry, Error> {
        let pages = subjectsPaginator(length: length, dir: dir)
        let buffer = EntryBuffer()
        return AsyncThrowingStream(unfolding: {
            while buffer.isEmpty {
                guard let page = try await pages.nextPage() else { return nil }
                buffer.refill(page.subjects)
            }
            return buffer.next()
        })
    }

    /// Every progress page of a bulk batch, following `lastEvaluatedKey`.
    public func bulkProgressPages(batchId: String) -> AsyncThrowingStream<BulkProgressPage, Error> {
        let pages = bulkProgressPaginator(batchId: batchId)
        return AsyncThrowingStream(unfolding: { try await pages.nextPage() })
    }

    /// `waitForBulkRegister` with a closure for progress. `onProgress` runs on an SDK
    /// worker thread after each poll; throwing stops the wait (a `NecIdError` is rethrown
    /// as is, anything else as `.InvalidInput`).
    public func waitForBulkRegister(
        batchId: String,
        options: WaitOptions? = nil,
        onProgress: @escaping @Sendable (BulkProgress) throws -> Void
    ) async throws -> BulkProgress {
        try await waitForBulkRegister(batchId: batchId, options: options, listener: ClosureListener(onProgress))
    }
}

/// Rows of the current page; the stream pulls one element at a time, never concurrently.
private final class EntryBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var rows: ArraySlice<SubjectEntry> = []
    var isEmpty: Bool { lock.lock(); defer { lock.unlock() }; return rows.isEmpty }
    func refill(_ new: [SubjectEntry]) { lock.lock(); rows = new[...]; lock.unlock() }
    func next() -> SubjectEntry? { lock.lock(); defer { lock.unlock() }; return rows.popFirst() }
}

private final class ClosureListener: BulkProgressListener, @unchecked Sendable {
    private let body: @Sendable (BulkProgress) throws -> Void
    init(_ body: @escaping @Sendable (BulkProgress) throws -> Void) { self.body = body }
    func onProgress(progress: BulkProgress) throws { try body(progress) }
}

extension NecIdError {
    /// The kind name, e.g. `"NotFound"` (the same string in every binding).
    public var kind: String { details().kind }
}
