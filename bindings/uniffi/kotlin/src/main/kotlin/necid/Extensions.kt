// Hand-written Kotlin conveniences over the generated bindings (necid.kt). They only
// loop over or adapt generated calls: paging and polling logic stays in the Rust core.
package necid

import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow

/**
 * Every page of list subjects as a cold [Flow]: each collection walks from the first
 * page, `length` rows at a time, until the service runs out. The paginator is closed
 * when collection ends (normally, by error or by cancellation).
 */
fun Client.subjectPages(length: UInt = 1000u, dir: SortDirection? = null): Flow<SubjectPage> = flow {
    subjectsPaginator(length, dir).use { pages ->
        while (true) {
            emit(pages.nextPage() ?: break)
        }
    }
}

/** Every subject/event row across all pages (see [subjectPages]). */
fun Client.subjectEntries(length: UInt = 1000u, dir: SortDirection? = null): Flow<SubjectEntry> = flow {
    subjectPages(length, dir).collect { page -> page.subjects.forEach { emit(it) } }
}

/** Every progress page of a bulk batch, following `lastEvaluatedKey`. */
fun Client.bulkProgressPages(batchId: String): Flow<BulkProgressPage> = flow {
    bulkProgressPaginator(batchId).use { pages ->
        while (true) {
            emit(pages.nextPage() ?: break)
        }
    }
}

/**
 * [Client.waitForBulkRegister] with a lambda for progress. [onProgress] runs on an SDK
 * worker thread after each poll; keep it quick. An exception thrown from it stops the
 * wait: a [NecIdException] is rethrown as is, anything else as
 * `NecIdException.InvalidInput` ("the progress listener failed: ...").
 */
suspend fun Client.waitForBulkRegister(
    batchId: String,
    options: WaitOptions? = null,
    onProgress: (BulkProgress) -> Unit,
): BulkProgress = waitForBulkRegister(
    batchId,
    options,
    object : BulkProgressListener {
        override fun onProgress(progress: BulkProgress) = onProgress(progress)
    },
)

/** The kind and fields of any [NecIdException] case, e.g. `e.details().status`. */
val NecIdException.kind: String get() = details().kind
