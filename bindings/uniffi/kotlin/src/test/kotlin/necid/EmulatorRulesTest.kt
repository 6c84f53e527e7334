package necid

import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import kotlinx.coroutines.runBlocking
import necid.testing.NecidEmulator
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows

/**
 * The SDK's retry rules through the emulator's own fault rules (its admin API), not a
 * mock: Retry-After honoured, a POST that may have been processed never resent, typed
 * errors. The emulator's recording counts the attempts that reached it. This class has an
 * emulator of its own, recording from the start, through the JUnit extension
 * (@NecidEmulator) that users get from necid-kotlin-testing.
 */
@NecidEmulator(record = true)
class EmulatorRulesTest(private val emu: necid.testing.Emulator) {
    private val http: HttpClient = HttpClient.newHttpClient()

    private fun rule(json: String) = emu.setFaults("[$json]", seed = 1)

    /** Statuses of the recorded requests (null for a reset connection). */
    private fun sent(method: String, path: String): List<Int?> =
        emu.requests(method, path).map {
            val s = it.get("status")
            if (s.isJsonNull) null else s.asInt
        }

    private fun client(attempts: UInt, maxRetryAfter: Duration = Duration.ofSeconds(5)): Client =
        emu.client { it.retryPolicy(attempts, Duration.ofMillis(10), Duration.ofMillis(50)).maxRetryAfter(maxRetryAfter) }

    @AfterEach
    fun clear() {
        emu.clearFaults()
        emu.clearRequests()
    }

    @Test
    fun adminApiNeedsItsToken() {
        val r = http.send(
            HttpRequest.newBuilder(URI(emu.info.adminEndpoint + "/faults")).build(),
            HttpResponse.BodyHandlers.ofString(),
        )
        assertEquals(401, r.statusCode())
    }

    @Test
    fun retryAfterIsHonoured() {
        rule("""{"method": "GET", "path": "/v1.1/tags", "fault": "error", "status": 429, "retryAfter": 1, "count": 1}""")
        client(3u).use { c ->
            val t = System.nanoTime()
            runBlocking { c.listTags() }
            // A lower bound (the client sleeps at least what it was told): never flaky.
            assertTrue(System.nanoTime() - t >= 1_000_000_000L, "Retry-After: 1 was not honoured")
        }
        assertEquals(listOf<Int?>(429, 200), sent("GET", "/v1.1/tags"))
    }

    @Test
    fun aPostThatMayHaveBeenProcessedIsNotResent() {
        rule("""{"method": "POST", "path": "/v1.1/subjects", "fault": "error", "status": 500, "phase": "after", "count": 1}""")
        client(4u).use { c ->
            val e = assertThrows<NecIdException.Server> { runBlocking { c.registerSubject(face("obama.jpg")) } }
            assertEquals(500, e.status)
        }
        assertEquals(listOf<Int?>(500), sent("POST", "/v1.1/subjects"))
    }

    @Test
    fun aPostIsResentWhenTheServiceSaysBusy() {
        rule("""{"method": "POST", "path": "/v1.1/subjects", "fault": "error", "status": 503, "retryAfter": 0, "count": 1}""")
        client(4u).use { c ->
            val r = runBlocking { c.registerSubject(face("obama.jpg")) }
            assertTrue(r.subjectId.isNotEmpty())
        }
        assertEquals(listOf<Int?>(503, 201), sent("POST", "/v1.1/subjects"))
    }

    @Test
    fun typedErrorsWhenRetriesRunOut() {
        client(2u).use { c ->
            rule("""{"path": "/v1.1/tags", "fault": "error", "status": 429, "retryAfter": 0}""")
            val th = assertThrows<NecIdException.Throttled> { runBlocking { c.listTags() } }
            assertEquals(429, th.status)
            rule("""{"path": "/v1.1/tags", "fault": "timeout"}""")
            val t = assertThrows<NecIdException.Timeout> { runBlocking { c.listTags() } }
            assertEquals(1003L, t.errorCode)
            rule("""{"path": "/v1.1/tags", "fault": "reset"}""")
            val n = assertThrows<NecIdException.Network> { runBlocking { c.listTags() } }
            assertNull(n.status)
        }
        assertEquals(listOf<Int?>(429, 429, 500, 500, null, null), sent("GET", "/v1.1/tags"))
    }
}
