// Hand-written Swift conveniences over the generated bindings (Necid.swift). They only
// loop over or adapt generated calls: paging and polling logic stays in the Rust core.
// Written against the generated public API only (no FfiConverter internals), so a
// regenerated Necid.swift leaves them alone.
import Foundation

// MARK: - Paginators as AsyncSequence

extension SubjectsPaginator: AsyncSequence {
    public typealias Element = SubjectPage

    /// Pulls the next page from the core on each `next()`. Cancelling the task stops the
    /// iteration at the next page boundary with `CancellationError`.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let paginator: SubjectsPaginator

        public mutating func next() async throws -> SubjectPage? {
            try Task.checkCancellation()
            return try await paginator.nextPage()
        }
    }

    /// Iterates the remaining pages: a paginator is a cursor, so a second `for try await`
    /// over the same paginator continues where the first stopped (use
    /// `Client.subjectPages` for a sequence that starts over each time).
    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(paginator: self) }
}

extension BulkProgressPaginator: AsyncSequence {
    public typealias Element = BulkProgressPage

    /// As `SubjectsPaginator.AsyncIterator`: one core call per page, cancellation-aware.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let paginator: BulkProgressPaginator

        public mutating func next() async throws -> BulkProgressPage? {
            try Task.checkCancellation()
            return try await paginator.nextPage()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(paginator: self) }
}

/// Every page of `listSubjects`, `length` rows at a time, fetched as iterated. Each
/// `for try await` starts from the first page with a fresh paginator.
public struct SubjectPages: AsyncSequence, Sendable {
    public typealias Element = SubjectPage
    let client: Client
    let length: UInt32
    let dir: SortDirection?

    public func makeAsyncIterator() -> SubjectsPaginator.AsyncIterator {
        client.subjectsPaginator(length: length, dir: dir).makeAsyncIterator()
    }
}

/// Every subject/event row of `listSubjects` across all pages, fetched a page at a time.
/// Each `for try await` starts from the first page.
public struct SubjectEntries: AsyncSequence, Sendable {
    public typealias Element = SubjectEntry
    let pages: SubjectPages

    public struct AsyncIterator: AsyncIteratorProtocol {
        var pages: SubjectsPaginator.AsyncIterator
        var rows: ArraySlice<SubjectEntry> = []

        public mutating func next() async throws -> SubjectEntry? {
            while rows.isEmpty {
                guard let page = try await pages.next() else { return nil }
                rows = page.subjects[...]
            }
            return rows.popFirst()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pages: pages.makeAsyncIterator()) }
}

/// Every progress page of a bulk batch, following `lastEvaluatedKey`. Each
/// `for try await` starts from the first page.
public struct BulkProgressPages: AsyncSequence, Sendable {
    public typealias Element = BulkProgressPage
    let client: Client
    let batchId: String

    public func makeAsyncIterator() -> BulkProgressPaginator.AsyncIterator {
        client.bulkProgressPaginator(batchId: batchId).makeAsyncIterator()
    }
}

extension Client {
    /// Every page of list subjects, `length` rows at a time, as an async sequence.
    public func subjectPages(length: UInt32 = 1000, dir: SortDirection? = nil) -> SubjectPages {
        SubjectPages(client: self, length: length, dir: dir)
    }

    /// Every subject/event row across all pages.
    public func subjectEntries(length: UInt32 = 1000, dir: SortDirection? = nil) -> SubjectEntries {
        SubjectEntries(pages: subjectPages(length: length, dir: dir))
    }

    /// Every progress page of a bulk batch, following `lastEvaluatedKey`.
    public func bulkProgressPages(batchId: String) -> BulkProgressPages {
        BulkProgressPages(client: self, batchId: batchId)
    }

    /// `waitForBulkRegister` with a closure for progress. `onProgress` runs on an SDK
    /// worker thread after each poll; throwing stops the wait (a `NecIdError` is rethrown
    /// as is, anything else as `.InvalidInput`).
    ///
    /// Cancelling the calling task stops the wait at its next poll and throws
    /// `CancellationError` (a request already in flight finishes first).
    public func waitForBulkRegister(
        batchId: String,
        options: WaitOptions? = nil,
        onProgress: @escaping @Sendable (BulkProgress) throws -> Void
    ) async throws -> BulkProgress {
        let listener = ClosureListener(onProgress)
        do {
            return try await withTaskCancellationHandler {
                try await waitForBulkRegister(batchId: batchId, options: options, listener: listener)
            } onCancel: {
                listener.cancel()
            }
        } catch {
            if listener.isCancelled { throw CancellationError() }
            throw error
        }
    }
}

// MARK: - Task cancellation

extension Client {
    /// Runs `body` with a view of this client (`withOptions(options:)`) whose calls stop
    /// when the calling `Task` is cancelled: the request in flight is abandoned at once (its
    /// connection is closed, no retry follows) and calls made afterwards send nothing; this
    /// function then throws `CancellationError`. (UniFFI's Swift bridge does not observe
    /// `Task` cancellation by itself: this connects it to a `CancelToken`.)
    ///
    /// `options.cancel`, when given, is the token used (a Task cancellation cancels it, and
    /// with it every other view using it); else a new one. The view is for this `body`
    /// only: once the Task is cancelled its calls fail with `NecIdError.Cancelled`.
    public func withTaskCancellation<T>(
        options: CallOptions = CallOptions(),
        _ body: (Client) async throws -> T
    ) async throws -> T {
        var options = options
        let token = options.cancel ?? CancelToken()
        options.cancel = token
        let view = try withOptions(options: options)
        do {
            return try await withTaskCancellationHandler {
                try await body(view)
            } onCancel: {
                token.cancel()
            }
        } catch let e as NecIdError where e.kind == "Cancelled" && Task.isCancelled {
            throw CancellationError()
        }
    }
}

/// Calls the closure after each poll; once cancelled, throws instead so the core stops.
private final class ClosureListener: BulkProgressListener, @unchecked Sendable {
    private let body: @Sendable (BulkProgress) throws -> Void
    private let lock = NSLock()
    private var cancelled = false

    init(_ body: @escaping @Sendable (BulkProgress) throws -> Void) { self.body = body }

    var isCancelled: Bool { lock.lock(); defer { lock.unlock() }; return cancelled }
    func cancel() { lock.lock(); cancelled = true; lock.unlock() }

    func onProgress(progress: BulkProgress) throws {
        if isCancelled { throw CancellationError() }
        try body(progress)
    }
}

// MARK: - Errors

extension NecIdError {
    /// The kind name, e.g. `"NotFound"` (the same string in every binding).
    public var kind: String { details().kind }
    /// The human-readable message (the service's own when it sent one).
    public var reason: String { details().reason }
    /// The HTTP status, when there was a response.
    public var status: Int32? { details().status }
    /// The service's numeric `errorCode` (e.g. 2001), when present.
    public var errorCode: Int64? { details().errorCode }
    /// The service's `errorType` (e.g. `"NoFace"`), when present.
    public var errorType: String? { details().errorType }
    /// The response's request id, for support tickets.
    public var requestId: String? { details().requestId }
    /// For `InvalidInput`: the argument or setting that was rejected.
    public var field: String? { details().field }
}

extension NecIdError: CustomStringConvertible {
    /// `Kind: reason (field F, status 404, errorCode 1001, errorType X, requestId Y)`, the present
    /// fields only; also what `localizedDescription` and `print(error)` show. Never
    /// contains a secret (the core keeps them out of every field).
    public var description: String {
        let d = details()
        var extra: [String] = []
        if let f = d.field { extra.append("field \(f)") }
        if let s = d.status { extra.append("status \(s)") }
        if let c = d.errorCode { extra.append("errorCode \(c)") }
        if let t = d.errorType { extra.append("errorType \(t)") }
        if let r = d.requestId { extra.append("requestId \(r)") }
        return "\(d.kind): \(d.reason)" + (extra.isEmpty ? "" : " (\(extra.joined(separator: ", ")))")
    }
}
