package necid

import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

class ConcurrencyTest {
    @Test
    fun fiftyConcurrentCoroutinesShareOneClient(): Unit = runBlocking {
        val (_, client) = Emulator.galleryClient()
        client.use { c ->
            val probe = face("obama.jpg")
            val registered = c.registerSubject(probe)
            (0 until 50).filter { it % 5 == 3 }.forEach { c.createTag("c$it") }
            val results = (0 until 50).map { i ->
                async(Dispatchers.Default) {
                    when (i % 5) {
                        0 -> c.health().ok
                        1 -> c.search(probe, threshold = 9000u).candidates.firstOrNull()?.subjectId == registered.subjectId
                        2 -> c.verifySubject(registered.subjectId, probe).verified
                        3 -> c.registerSubject(face("biden.jpg"), listOf("c$i")).subjectId.isNotEmpty()
                        else -> c.listEvents(registered.subjectId).events.isNotEmpty()
                    }
                }
            }.awaitAll()
            assertEquals(List(50) { true }, results)
            // 1 + the 10 concurrent registrations, all present.
            assertEquals(11uL, c.listSubjects(0u, 100u).total)
        }
    }

    @Test
    fun cancellingACallLeavesTheClientUsable(): Unit = runBlocking {
        val arrived = CountDownLatch(1)
        val release = CountDownLatch(1)
        FaultServer { ex ->
            if (ex.requestURI.path == "/v1.1/tags") {
                arrived.countDown()
                release.await(30, TimeUnit.SECONDS) // never answered before the cancel
            } else {
                ex.reply(200, """{"status":"OK"}""")
            }
        }.use { server ->
            server.client().use { c ->
                var outcome: Throwable? = null
                val job = launch(Dispatchers.Default) {
                    try {
                        c.listTags()
                    } catch (t: Throwable) {
                        outcome = t
                        throw t
                    }
                }
                withContext(Dispatchers.IO) { assertTrue(arrived.await(30, TimeUnit.SECONDS), "request never arrived") }
                job.cancel()
                job.join()
                assertTrue(job.isCancelled)
                assertTrue(outcome is CancellationException, "outcome: $outcome")
                // Same client, next call: fine.
                assertTrue(c.health().ok)
                release.countDown()
            }
        }
    }

    @Test
    fun closingTheClientReleasesIt(): Unit = runBlocking {
        val c = Emulator.client()
        assertTrue(c.health().ok)
        c.close()
        val e = assertThrows<IllegalStateException> { runBlocking { c.health() } }
        assertTrue(e.message!!.contains("destroyed"), e.message)
        c.close() // idempotent

        // `use` closes too; paginators are independent objects with their own lifetime.
        val p = Emulator.client().use { it.subjectsPaginator(10u, null) }
        p.nextPage() // still works: it holds its own reference to the connection pool
        p.close()
        assertThrows<IllegalStateException> { runBlocking { p.nextPage() } }
    }

    @Test
    fun closingDuringACallLetsTheCallFinish(): Unit = runBlocking {
        val arrived = CountDownLatch(1)
        val release = CountDownLatch(1)
        FaultServer { ex ->
            arrived.countDown()
            release.await(30, TimeUnit.SECONDS)
            ex.reply(200, """["kept"]""")
        }.use { server ->
            val c = server.client()
            val call = async(Dispatchers.Default) { c.listTags() }
            withContext(Dispatchers.IO) { assertTrue(arrived.await(30, TimeUnit.SECONDS), "request never arrived") }
            c.close() // the in-flight call keeps the native client alive until it completes
            release.countDown()
            assertEquals(listOf("kept"), call.await().map { it.name })
            assertThrows<IllegalStateException> { runBlocking { c.listTags() } }
        }
    }

    @Test
    fun objectsMayBeDroppedFromAnyThread(): Unit = runBlocking {
        // Create on one thread, use and drop on others; the Rust side is Send + Sync.
        val clients = (0 until 8).map { Emulator.client() }
        clients.map { c -> async(Dispatchers.IO) { c.use { it.health().ok } } }.awaitAll().forEach { assertTrue(it) }
    }
}
